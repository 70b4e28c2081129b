// Ctrl-C: what long commands poll at day boundaries, and what wakes the line editor.

import BanditServer
import Foundation
import Synchronization

/// SIGINT through the signal pipe: `requested` says whether Ctrl-C came since the last `clear`.
enum Interrupts {
    /// The signal count at the last `clear`.
    private static let cleared = Atomic<Int>(0)

    static func install() { SignalPipe.install([SIGINT]) }

    /// The pipe the line editor polls beside the terminal.
    static var pipe: Int32 { SignalPipe.readEnd }

    /// Whether Ctrl-C was pressed since the last `clear()`.
    @Sendable static func requested() -> Bool { SignalPipe.received > cleared.load(ordering: .sequentiallyConsistent) }

    static func clear() {
        cleared.store(SignalPipe.received, ordering: .sequentiallyConsistent)
        SignalPipe.drain()
    }
}
