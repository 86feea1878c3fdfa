/// One declared node of a hierarchy: a category code, the code of its parent group
/// (`nil` for a top-level node, whose parent is the total), and an optional label.
public struct HierarchyEntry: Sendable, Equatable {
    public var code: String
    public var parent: String?
    public var label: String?

    public init(code: String, parent: String? = nil, label: String? = nil) {
        self.code = code
        self.parent = parent
        self.label = label
    }
}

/// A problem found while building a hierarchy. `entry` is the index of the offending
/// entry in the list given to ``TableDimension/build(name:label:total:totalLabel:entries:)``,
/// so that the spec reader can point at the line that declared it.
public struct HierarchyProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case emptyCode
        case duplicateCode(String)
        case codeIsTotal(String)
        case undefinedParent(child: String, parent: String)
        case cycle([String])
        case noLeaves
    }

    public var kind: Kind
    public var entry: Int?

    public var description: String {
        switch kind {
        case .emptyCode:
            return "a category code is empty"
        case .duplicateCode(let code):
            return "category '\(code)' is declared more than once"
        case .codeIsTotal(let code):
            return "category '\(code)' has the same code as the total"
        case .undefinedParent(let child, let parent):
            return "the parent '\(parent)' of '\(child)' is not a category of this hierarchy (incomplete hierarchy)"
        case .cycle(let codes):
            return "the hierarchy has a cycle: \(codes.map { "'\($0)'" }.joined(separator: " -> ")): expected each category's parents to lead up to the total"
        case .noLeaves:
            return "the dimension has no categories"
        }
    }
}

/// Every problem found in one hierarchy.
public struct HierarchyProblems: Error, Sendable, Equatable {
    public var problems: [HierarchyProblem]
}

/// A dimension of a table: its categories, arranged in a hierarchy under one total.
///
/// Nodes are numbered so that every child comes before its parent: the leaves first
/// (in declaration order), then the groups (deepest first), then the total, which is
/// always the last node. Aggregation fills leaves; margins are rolled up in node order.
public struct TableDimension: Sendable, Equatable {
    /// The dimension's name in the spec, also the column name in table outputs.
    public let name: String
    /// A human-readable title for dashboards.
    public let label: String?
    /// The code of every node; the index is the node number.
    public let codes: [String]
    /// The label of every node, where one was declared.
    public let labels: [String?]
    /// The parent node of every node; `-1` for the total.
    public let parents: [Int]
    /// The number of leaves: nodes `0..<leafCount` are leaves, in the order of their codes
    /// (then the groups, deepest first and by code, then the total).
    public let leafCount: Int
    /// The children of every node, in node order.
    public let children: [[Int]]
    /// Every node in the order tables are printed: the total, then each group followed by its children.
    public let displayOrder: [Int]
    /// The depth of every node below the total (the total has depth 0).
    public let depths: [Int]
    private let index: [String: Int]

    /// The node number of the total.
    public var total: Int { codes.count - 1 }
    /// The number of nodes (leaves, groups and the total).
    public var nodeCount: Int { codes.count }
    /// The non-leaf nodes in an order where every group comes after all of its descendants.
    public var rollUpOrder: Range<Int> { leafCount..<codes.count }

    /// Whether a node is a leaf (a category that data rows carry).
    public func isLeaf(_ node: Int) -> Bool { node < leafCount }

    /// The node with this code, if any.
    public func node(_ code: String) -> Int? { index[code] }

    /// Builds a dimension from its declared nodes, or throws every problem found.
    ///
    /// Leaves are the nodes that no other node names as parent. Codes are compared exactly.
    public static func build(
        name: String,
        label: String? = nil,
        total: String,
        totalLabel: String? = nil,
        entries: [HierarchyEntry]
    ) throws(HierarchyProblems) -> TableDimension {
        var problems: [HierarchyProblem] = []
        var position: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            if entry.code.isEmpty {
                problems.append(.init(kind: .emptyCode, entry: i))
            } else if entry.code == total {
                problems.append(.init(kind: .codeIsTotal(entry.code), entry: i))
            } else if position[entry.code] != nil {
                problems.append(.init(kind: .duplicateCode(entry.code), entry: i))
            } else {
                position[entry.code] = i
            }
        }
        // Resolve parents to entry positions; -1 means the total.
        var parentOf = [Int](repeating: -1, count: entries.count)
        for (i, entry) in entries.enumerated() where position[entry.code] == i {
            guard let parent = entry.parent, !parent.isEmpty, parent != total else { continue }
            if let p = position[parent] {
                parentOf[i] = p
            } else {
                problems.append(.init(kind: .undefinedParent(child: entry.code, parent: parent), entry: i))
            }
        }
        // Cycles: walk up from each node; a walk longer than the node count revisits a node.
        var reported = Set<Int>()
        for start in entries.indices where position[entries[start].code] == start {
            var seen: [Int] = []
            var seenSet = Set<Int>()
            var node = start
            while node >= 0 {
                if seenSet.contains(node) {
                    let cycleStart = seen.firstIndex(of: node)!
                    let cycle = Array(seen[cycleStart...])
                    if reported.isDisjoint(with: cycle) {
                        reported.formUnion(cycle)
                        let codes = (cycle + [node]).map { entries[$0].code }
                        problems.append(.init(kind: .cycle(codes), entry: cycle.min()))
                    }
                    break
                }
                seen.append(node)
                seenSet.insert(node)
                node = parentOf[node]
            }
        }
        let live = entries.indices.filter { position[entries[$0].code] == $0 }
        if live.isEmpty { problems.append(.init(kind: .noLeaves, entry: nil)) }
        if !problems.isEmpty { throw HierarchyProblems(problems: problems) }

        // Depth of every entry below the total.
        var depth = [Int](repeating: -1, count: entries.count)
        func depthOf(_ i: Int) -> Int {
            if depth[i] >= 0 { return depth[i] }
            let d = parentOf[i] < 0 ? 1 : depthOf(parentOf[i]) + 1
            depth[i] = d
            return d
        }
        var hasChild = [Bool](repeating: false, count: entries.count)
        for i in live where parentOf[i] >= 0 { hasChild[parentOf[i]] = true }
        // Nodes are numbered by code, not by declaration, so that protection, which breaks
        // ties by node number, gives the same pattern whatever order the categories are
        // listed in; tables are still printed in the declared order (`displayOrder`).
        let leaves = live.filter { !hasChild[$0] }.sorted { entries[$0].code < entries[$1].code }
        let groups = live.filter { hasChild[$0] }.sorted { a, b in
            depthOf(a) != depthOf(b) ? depthOf(a) > depthOf(b) : entries[a].code < entries[b].code
        }
        let order = leaves + groups  // entry positions in node order; the total follows
        var nodeOf = [Int](repeating: -1, count: entries.count)
        for (node, entry) in order.enumerated() { nodeOf[entry] = node }
        let totalNode = order.count

        var codes = order.map { entries[$0].code }
        var labels = order.map { entries[$0].label }
        var parents = order.map { parentOf[$0] < 0 ? totalNode : nodeOf[parentOf[$0]] }
        codes.append(total)
        labels.append(totalLabel)
        parents.append(-1)
        var declared = [[Int]](repeating: [], count: codes.count)
        for entry in live {
            let node = nodeOf[entry]
            declared[parents[node]].append(node)
        }
        let children = declared.map { $0.sorted() }
        var depths = [Int](repeating: 0, count: codes.count)
        for (node, entry) in order.enumerated() { depths[node] = depthOf(entry) }
        var display: [Int] = []
        display.reserveCapacity(codes.count)
        func visit(_ node: Int) {
            display.append(node)
            for child in declared[node] { visit(child) }
        }
        visit(totalNode)
        var index: [String: Int] = [:]
        for (node, code) in codes.enumerated() { index[code] = node }
        return TableDimension(
            name: name, label: label, codes: codes, labels: labels, parents: parents,
            leafCount: leaves.count, children: children, displayOrder: display, depths: depths, index: index)
    }

    private init(
        name: String, label: String?, codes: [String], labels: [String?], parents: [Int],
        leafCount: Int, children: [[Int]], displayOrder: [Int], depths: [Int], index: [String: Int]
    ) {
        self.name = name
        self.label = label
        self.codes = codes
        self.labels = labels
        self.parents = parents
        self.leafCount = leafCount
        self.children = children
        self.displayOrder = displayOrder
        self.depths = depths
        self.index = index
    }
}
