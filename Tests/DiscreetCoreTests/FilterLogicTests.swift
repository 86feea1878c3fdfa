import Testing
@testable import DiscreetCore

@Suite struct FilterLogicTests {
    let logic = FilterLogic(domains: [
        "in_transition": .number(places: 0), "age": .number(places: 0), "disabled": .number(places: 0),
        "residence": .category(values: ["community", "residential_near", "residential_far"]),
        "happy": .category(values: ["yes", "no"]), "ward": .category(values: nil), "cost": .number(places: 2),
    ])

    func f(_ text: String) -> FilterExpression { try! FilterExpression.parse(text) }

    @Test func aConjunctionLiesWithinEachOfItsParts() {
        let transition = f("in_transition == 1 and age >= 14 and age <= 25")
        let disabled = f("in_transition == 1 and age >= 14 and age <= 25 and disabled == 1")
        #expect(logic.implies(disabled, transition) == true)
        #expect(logic.implies(transition, disabled) == false)
        #expect(logic.implies(disabled, nil) == true)
        #expect(logic.implies(nil, disabled) == false)
    }

    @Test func numbersAndTheirThresholds() {
        #expect(logic.implies(f("age >= 18"), f("age >= 16")) == true)
        #expect(logic.implies(f("age >= 16"), f("age >= 18")) == false)
        #expect(logic.implies(f("age > 17"), f("age >= 18")) == true)
        #expect(logic.implies(f("cost > 1.5"), f("cost >= 1.51")) == true)
        #expect(logic.implies(f("cost > 1.5"), f("cost >= 1.52")) == false)
        #expect(logic.disjoint(f("age <= 17"), f("age >= 18")) == true)
        #expect(logic.disjoint(f("age <= 18"), f("age >= 18")) == false)
        // A missing value passes != only.
        #expect(logic.implies(f("age != 3"), f("age is not missing")) == false)
        #expect(logic.implies(f("age == 3"), f("age is not missing")) == true)
    }

    @Test func categoriesWithAndWithoutDeclaredValues() {
        #expect(logic.disjoint(f("residence == \"community\""), f("residence == \"residential_far\"")) == true)
        #expect(logic.implies(f("happy == \"yes\""), f("happy is not missing")) == true)
        // Declared values: not community and not near means far (or missing).
        #expect(logic.implies(f("residence not in (\"community\", \"residential_near\") and residence is not missing"), f("residence == \"residential_far\"")) == true)
        // An open column can hold a code nobody names.
        #expect(logic.implies(f("ward != \"E1\" and ward is not missing"), f("ward == \"E2\"")) == false)
        #expect(logic.disjoint(f("ward in (\"E1\", \"E2\")"), f("ward == \"E3\"")) == true)
    }

    @Test func restrictionsByCategory() {
        let adults = f("in_transition == 1 and age >= 18")
        #expect(logic.satisfiable(adults, where: ["age": .range(14, 17)]) == false)
        #expect(logic.satisfiable(adults, where: ["age": .range(18, 25)]) == true)
        // In the 18-25 band, everyone in transition aged 14-25 is an adult.
        let transition = f("in_transition == 1 and age >= 14 and age <= 25")
        #expect(logic.satisfiable(transition, excluding: [adults], where: ["age": .range(18, 25)]) == false)
        #expect(logic.satisfiable(transition, excluding: [adults], where: ["age": .range(14, 17)]) == true)
        #expect(logic.satisfiable(f("residence == \"community\""), where: ["residence": .codes(["residential_far"])]) == false)
    }

    @Test func givesUpRatherThanGuess() {
        var domains: [String: FilterLogic.Domain] = [:]
        var parts: [String] = []
        for i in 0..<8 {
            domains["c\(i)"] = .number(places: 0)
            parts.append("c\(i) == 1")
        }
        let all = f(parts.joined(separator: " and "))
        let any = f(parts.joined(separator: " or "))
        // Deciding that "any" does not imply "all" takes a few steps; proving that "all"
        // implies "any" needs more than 50 when each column has four classes to try.
        #expect(FilterLogic(domains: domains).implies(all, any) == true)
        #expect(FilterLogic(domains: domains, searchLimit: 50).implies(any, all) == false)
        let wide = f((0..<8).map { "(c\($0) == 1 or c\($0) == 5)" }.joined(separator: " and "))
        let narrow = f((0..<8).map { "(c\($0) == 1 or c\($0) == 5 or c\($0) == 9)" }.joined(separator: " and "))
        #expect(FilterLogic(domains: domains).implies(wide, narrow) == true)
        #expect(FilterLogic(domains: domains, searchLimit: 50).implies(wide, narrow) == nil)
    }
}

@Suite struct RowVaryingColumnTests {
    // `source` is the extract a row came from: one person can have rows from several.
    let domains: [String: FilterLogic.Domain] = [
        "age": .number(places: 0), "residence": .category(values: ["community", "residential_near"]), "source": .category(values: ["a", "b"]),
    ]
    func f(_ text: String) -> FilterExpression { try! FilterExpression.parse(text) }

    @Test func partnersCohortsShareThePeopleInBothExtracts() {
        let rows = FilterLogic(domains: domains)
        let people = FilterLogic(domains: domains, rowVarying: ["source"])
        let fromA = f("age >= 18 and source == \"a\"")
        let fromB = f("age >= 18 and source == \"b\"")
        // No row comes from both extracts; a person can be in both.
        #expect(rows.disjoint(fromA, fromB) == true)
        #expect(people.disjoint(fromA, fromB) == false)
        #expect(people.disjoint(fromB, fromA) == false)
        // What other columns keep apart stays apart (a person has one residence, as the data check confirms).
        #expect(people.disjoint(f("residence == \"community\" and source == \"a\""), f("residence == \"residential_near\" and source == \"b\"")) == true)
        #expect(people.disjoint(f("age <= 17 and source == \"a\""), f("age >= 18")) == true)
        // Lying within is about rows, and so about people.
        #expect(people.implies(fromA, f("age >= 18")) == true)
        #expect(people.implies(fromA, f("age >= 16 and source == \"a\"")) == true)
        #expect(people.implies(fromA, fromB) == false)
        #expect(people.implies(f("age >= 18"), fromA) == false)
    }
}
