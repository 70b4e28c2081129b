// Signals as bytes on a pipe: the one way both programs learn of SIGINT and SIGTERM.

import Foundation
import Synchronization

/// A self-pipe for signals. The handler only counts the signal and writes its number as one byte
/// (both async-signal-safe); the program polls the pipe's read end or the count. Signal
/// dispositions belong to the whole process, so this is one process-wide facility, installed by
/// `main` before any thread starts.
public enum SignalPipe {
    /// Set once by `install`, before any thread reads them; never changed after.
    nonisolated(unsafe) public private(set) static var readEnd: Int32 = -1
    nonisolated(unsafe) private static var writeEnd: Int32 = -1
    private static let count = Atomic<Int>(0)

    /// Catches `signals` from now on (and unblocks them: a parent may have left them blocked).
    public static func install(_ signals: [Int32]) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { preconditionFailure("cannot create the signal pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        (readEnd, writeEnd) = (fds[0], fds[1])
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                SignalPipe.count.add(1, ordering: .sequentiallyConsistent)
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(SignalPipe.writeEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
            sigaddset(&unblock, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// How many signals arrived since `install`.
    public static var received: Int { count.load(ordering: .sequentiallyConsistent) }

    /// Empties the pipe (its bytes were seen, or do not matter any more).
    public static func drain() {
        var byte: UInt8 = 0
        while read(readEnd, &byte, 1) > 0 {}
    }

    /// Blocks until a signal arrives; returns its number.
    public static func next() -> Int32 {
        var byte: UInt8 = 0
        var fds = [pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)]
        while true {
            if read(readEnd, &byte, 1) == 1 { return Int32(byte) }
            fds[0].revents = 0
            _ = poll(&fds, 1, -1)
        }
    }
}
