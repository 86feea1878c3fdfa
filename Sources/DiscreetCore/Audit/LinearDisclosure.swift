/// Which withheld cells an attacker can compute exactly by linear algebra alone: Gaussian
/// elimination over the rationals on the table's relations, the published figures moved to
/// the right-hand side.
///
/// A cell is disclosed exactly when its unit vector lies in the row space of the relations
/// restricted to the unknown cells, which in reduced row echelon form means some row is
/// that unit vector. This ignores non-negativity, so it finds fewer disclosures than the
/// interval audit (which also sees, for example, withheld cells that must all be zero);
/// it is fast and independent of the simplex, and the two are checked against each other.
public enum LinearDisclosure {
    /// The cells among `unknown` (withheld or unpublished) that the relations determine,
    /// whatever the published values are.
    public static func determined(shape: TableShape, unknown: [Bool]) -> Set<Int> {
        precondition(unknown.count == shape.cellCount)
        // Each relation restricted to its unknown cells, as a sparse row.
        var rows: [[(column: Int, value: Rational)]] = []
        for relation in shape.relations() {
            var row: [(column: Int, value: Rational)] = []
            if unknown[relation.total] { row.append((relation.total, .one)) }
            for part in relation.parts where unknown[part] { row.append((part, -Rational.one)) }
            if !row.isEmpty { rows.append(row.sorted { $0.column < $1.column }) }
        }
        // Relations that share no unknown cell are independent: eliminate each connected
        // group of unknown cells on its own.
        var sets = DisjointSets(count: shape.cellCount)
        for row in rows {
            for entry in row.dropFirst() { sets.union(row[0].column, entry.column) }
        }
        var groups: [Int: [[(column: Int, value: Rational)]]] = [:]
        for row in rows { groups[sets.find(row[0].column), default: []].append(row) }
        var result = Set<Int>()
        for group in groups.values { result.formUnion(determined(rows: group)) }
        return result
    }

    /// The unknowns among `unknown` that the relations (each a weighted sum that is zero)
    /// determine, whatever the published values are.
    public static func determined(relations: [[(variable: Int, coefficient: Rational)]], unknown: [Bool]) -> Set<Int> {
        var rows: [[(column: Int, value: Rational)]] = []
        for relation in relations {
            var merged: [Int: Rational] = [:]
            for (c, k) in relation where unknown[c] { merged[c, default: .zero] += k }
            let row = merged.filter { !$0.value.isZero }.map { (column: $0.key, value: $0.value) }.sorted { $0.column < $1.column }
            if !row.isEmpty { rows.append(row) }
        }
        var sets = DisjointSets(count: unknown.count)
        for row in rows {
            for entry in row.dropFirst() { sets.union(row[0].column, entry.column) }
        }
        var groups: [Int: [[(column: Int, value: Rational)]]] = [:]
        for row in rows { groups[sets.find(row[0].column), default: []].append(row) }
        var result = Set<Int>()
        for root in groups.keys.sorted() { result.formUnion(determined(rows: groups[root]!)) }
        return result
    }

    /// The columns whose unit vectors lie in the row space of `rows` (sparse, each sorted by
    /// column, no column twice in a row).
    static func determined(rows: [[(column: Int, value: Rational)]]) -> Set<Int> {
        // Echelon basis by pivot column: each row's pivot is its smallest column, and no
        // row holds another row's pivot that is smaller than its own.
        var basis: [Int: [Int: Rational]] = [:]
        for sparse in rows {
            var row = [Int: Rational](uniqueKeysWithValues: sparse.map { ($0.column, $0.value) })
            // Eliminate every column that is already some row's pivot.
            while true {
                guard let column = row.keys.filter({ basis[$0] != nil }).min() else { break }
                let factor = row[column]!
                for (c, v) in basis[column]! {
                    let updated = (row[c] ?? .zero) - factor * v
                    row[c] = updated.isZero ? nil : updated
                }
            }
            guard let pivot = row.keys.min() else { continue }
            let scale = row[pivot]!
            for (c, v) in row { row[c] = v / scale }
            // Keep the basis reduced: take the new pivot out of every other row.
            for (p, other) in basis {
                guard let factor = other[pivot] else { continue }
                var reduced = other
                for (c, v) in row {
                    let updated = (reduced[c] ?? .zero) - factor * v
                    reduced[c] = updated.isZero ? nil : updated
                }
                basis[p] = reduced
            }
            basis[pivot] = row
        }
        // In reduced form, a unit vector in the row space is a row of the basis.
        return Set(basis.filter { $0.value.count == 1 }.keys)
    }
}
