/// Partners' extracts for the batch tests: people by area (X, Y, Z), counted with a
/// frequency threshold of 5.
public enum PartnerExtracts {
    /// A spec reading one CSV per partner, `(path, partner name)`, then `extra` YAML.
    public static func spec(_ partners: [(path: String, name: String)], title: String? = nil, extra: String = "") -> String {
        var text = "discreet: 1\n" + (title.map { "title: \($0)\n" } ?? "") + "inputs:\n"
        for p in partners { text += "  - {path: \(p.path), partner: \(p.name)}\n" }
        text += """
            columns:
              id: identifier
              area: {type: category, values: [X, Y, Z]}
            privacy_unit: id
            dimensions:
              area:
                column: area
                total: ALL
                categories: [X, Y, Z]
            tables:
              people:
                by: [area]
            protection:
              primary:
                frequency: {threshold: 5, comparator: "<"}

            """
        return text + extra
    }

    /// Per area: people in A's extract only, in both, in B's only. In X the combined
    /// dashboard counts 9 and A 7: both large, and their difference is 2 people known to B alone.
    public static let sharedPeople: [(area: String, onlyA: Int, both: Int, onlyB: Int)] = [("X", 5, 2, 2), ("Y", 7, 3, 5), ("Z", 8, 4, 6)]

    /// The two extracts (CSV text) of ``sharedPeople``.
    public static func twoPartners() -> (a: String, b: String) {
        var a = "id,area\n"
        var b = "id,area\n"
        var next = 0
        for p in sharedPeople {
            for _ in 0..<p.onlyA { a += "p\(next),\(p.area)\n"; next += 1 }
            for _ in 0..<p.both { a += "p\(next),\(p.area)\n"; b += "p\(next),\(p.area)\n"; next += 1 }
            for _ in 0..<p.onlyB { b += "p\(next),\(p.area)\n"; next += 1 }
        }
        return (a, b)
    }
}
