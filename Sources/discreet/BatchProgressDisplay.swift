import ArgumentParser
import DiscreetIO
import Foundation
import Synchronization

/// How `discreet batch` shows how far it has gone, on standard error.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    /// A live display on a terminal; lines otherwise.
    case auto
    /// One line per step (a partner read, each release written), and rows read every few seconds.
    case lines
    /// One JSON object per line, for schedulers.
    case json
}

/// Prints a batch's progress as it comes: per partner the rows read and its state, the
/// stage of the joint run, and the time since the start.
final class BatchProgressDisplay: Sendable {
    enum Mode { case live, lines, json }

    struct State {
        var rows: [String: Int] = [:]
        var status: [String: String] = [:]
        var stage = "reading"
        /// Lines the live display last drew.
        var drawn = 0
        var lastDraw: Duration = .zero
        var lastLine: [String: Duration] = [:]
    }

    let mode: Mode
    let partners: [String]
    let start = ContinuousClock.now
    let state = Mutex(State())

    /// Seconds between two live redraws while rows are read, and between two lines of rows
    /// read per partner.
    static let redraw: Duration = .milliseconds(100)
    static let lineEvery: Duration = .seconds(5)

    init(style: ProgressStyle, partners: [String]) {
        switch style {
        case .auto: mode = isatty(STDERR_FILENO) == 1 ? .live : .lines
        case .lines: mode = .lines
        case .json: mode = .json
        }
        self.partners = partners
        state.withLock { s in for p in partners { s.status[p] = "waiting" } }
    }

    func handle(_ event: BatchProgress) {
        let elapsed = ContinuousClock.now - start
        state.withLock { s in
            switch event {
            case .reading(let partner, let rows):
                s.rows[partner] = rows
                s.status[partner] = "reading"
            case .read(let partner, let rows, _):
                s.rows[partner] = rows
                s.status[partner] = "read"
            case .failed(let partner):
                s.status[partner] = "not released: its extracts could not be used"
                // The batch starts again without it.
                for p in partners where p != partner && s.status[p]?.hasPrefix("not released") != true {
                    s.status[p] = "waiting"
                    s.rows[p] = 0
                }
            case .protecting: s.stage = "protecting every release together"
            case .auditing: s.stage = "auditing each release alone"
            case .written(let release, _):
                s.stage = "writing"
                s.status[release] = "written"
            }
            switch mode {
            case .json: emit(json(event, elapsed))
            case .lines:
                if case .reading(let partner, _) = event {
                    guard elapsed - (s.lastLine[partner] ?? .zero) >= Self.lineEvery else { return }
                    s.lastLine[partner] = elapsed
                }
                emit("progress (\(seconds(elapsed))): " + line(event))
            case .live:
                if case .reading = event, elapsed - s.lastDraw < Self.redraw { return }
                s.lastDraw = elapsed
                draw(&s, elapsed)
            }
        }
    }

    /// Ends the display: a live one is drawn a last time.
    func finish() {
        guard mode == .live else { return }
        state.withLock { s in draw(&s, ContinuousClock.now - start) }
    }

    private func draw(_ s: inout State, _ elapsed: Duration) {
        var text = s.drawn > 0 ? "\u{1B}[\(s.drawn)A" : ""
        // The combined dashboard reads every partner's rows.
        let all = s.rows.values.reduce(0, +)
        var lines = partners.map { p in "  \(p): \(grouped(p == "combined" ? all : s.rows[p] ?? 0)) rows, \(s.status[p] ?? "")" }
        lines.append("\(s.stage) (\(seconds(elapsed)))")
        for l in lines { text += "\r\u{1B}[2K" + l + "\n" }
        s.drawn = lines.count
        emit(text, newline: false)
    }

    private func line(_ event: BatchProgress) -> String {
        switch event {
        case .reading(let partner, let rows): return "\(partner): \(grouped(rows)) rows read"
        case .read(let partner, let rows, let quarantined):
            return "\(partner): read, \(grouped(rows)) rows" + (quarantined > 0 ? " (\(grouped(quarantined)) quarantined)" : "")
        case .failed(let partner): return "\(partner): its extracts could not be used; the batch starts again without it"
        case .protecting: return "every extract read: protecting every release together"
        case .auditing: return "auditing each release alone"
        case .written(let release, let path): return "\(release): written to \(path)"
        }
    }

    private func json(_ event: BatchProgress, _ elapsed: Duration) -> String {
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        var object: [String: Any] = ["elapsed_seconds": Double(milliseconds) / 1000]
        switch event {
        case .reading(let partner, let rows): object.merge(["event": "reading", "partner": partner, "rows": rows]) { $1 }
        case .read(let partner, let rows, let quarantined): object.merge(["event": "read", "partner": partner, "rows": rows, "quarantined": quarantined]) { $1 }
        case .failed(let partner): object.merge(["event": "failed", "partner": partner]) { $1 }
        case .protecting: object["event"] = "protecting"
        case .auditing: object["event"] = "auditing"
        case .written(let release, let path): object.merge(["event": "written", "release": release, "path": path]) { $1 }
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private func seconds(_ d: Duration) -> String {
        let tenths = d.components.seconds * 10 + d.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    private func emit(_ text: String, newline: Bool = true) {
        FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
    }
}
