// Ctrl-C: a flag long commands poll at day boundaries, and a pipe that wakes the line editor.

import Foundation
import Synchronization

/// SIGINT handling: the handler only sets a flag and writes a byte to a pipe (async-signal-safe).
enum Interrupts {
    private static let flag = Atomic<Bool>(false)
    nonisolated(unsafe) private(set) static var pipe: (read: Int32, write: Int32) = (-1, -1)

    static func install() {
        var fds: [Int32] = [0, 0]
        guard Foundation.pipe(&fds) == 0 else { return }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        pipe = (fds[0], fds[1])
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            Interrupts.flag.store(true, ordering: .relaxed)
            var byte: UInt8 = 1
            _ = write(Interrupts.pipe.write, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        // A parent may have left SIGINT blocked; Ctrl-C must reach us.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// Whether Ctrl-C was pressed since the last `clear()`.
    @Sendable static func requested() -> Bool { flag.load(ordering: .relaxed) }

    static func clear() {
        flag.store(false, ordering: .relaxed)
        var byte: UInt8 = 0
        while read(pipe.read, &byte, 1) > 0 {}
    }
}
