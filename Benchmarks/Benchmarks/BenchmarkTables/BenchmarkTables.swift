// Dimensions that several benchmark targets build their tables from.
import DiscreetCore

/// A flat dimension of `leaves` categories under a total.
public func dimension(_ name: String, leaves: Int) -> TableDimension {
    try! TableDimension.build(name: name, total: "T", entries: (0..<leaves).map { HierarchyEntry(code: "\(name)\($0)") })
}

/// Areas in three levels: 10 regions of 10 districts of 30 wards (3,111 nodes).
public func areas() -> TableDimension {
    var entries: [HierarchyEntry] = []
    for r in 0..<10 {
        entries.append(HierarchyEntry(code: "r\(r)"))
        for d in 0..<10 {
            entries.append(HierarchyEntry(code: "r\(r)d\(d)", parent: "r\(r)"))
            for w in 0..<30 { entries.append(HierarchyEntry(code: "r\(r)d\(d)w\(w)", parent: "r\(r)d\(d)")) }
        }
    }
    return try! TableDimension.build(name: "area", total: "T", entries: entries)
}
