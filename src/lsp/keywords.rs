//! The language's keywords and strategies, each with one line of
//! documentation, for hover and completion.

/// Every keyword with what it does (LANGUAGE.md).
pub const KEYWORDS: &[(&str, &str)] = &[
    ("schema", "declares the lead fields: `schema lead { region: \"NA\" | \"EMEA\" }`"),
    ("missing", "input values that mean absent: `missing: \"N/A\", \"-\"`"),
    ("alias", "maps spellings to enum values: `alias region { \"EU\" => \"EMEA\" }`"),
    ("team", "declares a team (`team sales = [\"a@x\" weight 2]`) or sends leads to one (`-> team sales`)"),
    ("weight", "a member's relative share under `via weighted`"),
    ("let", "names a condition: `let big = employees > 5000`"),
    ("lookup", "a CSV table: `lookup owners from \"owners.csv\" key domain value rep`"),
    ("from", "the input column a field reads, or the file a lookup reads"),
    ("key", "the lookup column matched against a field"),
    ("value", "the lookup column returned"),
    ("import", "reads declarations from another file: `import \"teams.route\"`"),
    ("when", "a rule: `when CONDITION -> ACTION`, or a block `when CONDITION { rules }`"),
    ("otherwise", "takes every lead no earlier rule took: `otherwise -> queue unassigned`"),
    ("on", "`on invalid -> ACTION`: where leads that fail the schema go"),
    ("invalid", "`on invalid -> ACTION`: where leads that fail the schema go"),
    ("and", "both conditions hold"),
    ("or", "either condition holds"),
    ("not", "the condition does not hold (or `not in`)"),
    ("in", "membership: `region in [\"NA\", \"EMEA\"]`, or `domain in LOOKUP`"),
    ("contains", "substring of a string, or element of a list"),
    ("starts_with", "the string starts with the text (case-sensitive)"),
    ("ends_with", "the string ends with the text (case-sensitive)"),
    ("matches", "the string matches a regular expression"),
    ("exists", "the optional field has a value"),
    ("true", "the boolean true"),
    ("false", "the boolean false"),
    ("via", "the distribution strategy: `team sales via weighted`"),
    ("else", "`else fallback TARGET`: tried when nobody in the target can take the lead"),
    ("fallback", "`else fallback TARGET`: tried when nobody in the target can take the lead"),
    ("rep", "one rep: `rep \"a@x\"`, or the rep a lookup gives: `rep owners[domain]`"),
    ("queue", "a holding queue that always accepts: `queue review`"),
    ("sticky", "`via sticky(FIELD)`: leads with the same value go to the same rep"),
    ("list", "a list type: `list<string>`"),
    ("string", "the text type"),
    ("int", "the 64-bit integer type"),
    ("float", "the 64-bit float type"),
    ("bool", "the boolean type"),
    ("date", "the calendar date type: ISO `2026-11-25`, or a field's `format`"),
    ("datetime", "the instant type: ISO `2026-11-25T10:00:00Z`, or a field's `format`"),
    ("format", "a date field's input format: `closed: date? format \"%m/%d/%Y\"`"),
    ("numbers", "`numbers: lenient` in the schema reads `1,234`, `$5,000.00` and `5000.0` as numbers"),
    ("table", "a typed CSV table: `table accounts from \"accounts.csv\" key id { sector: string }`"),
    ("case_insensitive", "a table whose keys match ignoring case: `key domain case_insensitive`"),
    ("score", "a sum of points per lead: `score fit { 20 when employees > 500 }`, usable as an int"),
    ("before", "the date or datetime is earlier: `closed before 2026-01-01`"),
    ("after", "the date or datetime is later: `created after 2026-01-01T00:00:00Z`"),
    ("within", "the date is in the last N days or hours before the routing instant: `engaged within 30 days`"),
    ("hours", "working hours tested against the routing instant: `now inside hours \"Mon-Fri 08:00-18:00\" in \"Europe/Paris\"`"),
    ("inside", "`now inside hours ...`: the routing instant is within the working hours"),
    ("outside", "`now outside hours ...`: the routing instant is outside the working hours"),
    ("now", "the routing instant (`--now`, or the request time in `route serve`)"),
    ("split", "an A/B split: `split pilot by id { 90% team core; 10% team pilot }`"),
    ("by", "the field a split hashes: `split NAME by FIELD { ... }`"),
    ("with", "a second owner: `-> team ae with team sdr`"),
];

/// Every strategy `via` accepts, with what it does (LANGUAGE.md §6).
pub const STRATEGIES: &[(&str, &str)] = &[
    ("round_robin", "members in order, one cursor per team (the default)"),
    ("weighted", "smooth weighted round robin by each member's `weight`"),
    ("load_balanced", "the member with the lowest open leads for their capacity"),
    ("random", "a seeded random member"),
    ("sticky", "`sticky(FIELD)`: the same value of FIELD goes to the same rep"),
    ("first_available", "the first eligible member in order"),
];

/// The keywords alone.
pub fn names() -> Vec<&'static str> {
    KEYWORDS.iter().map(|(k, _)| *k).collect()
}

/// What a keyword does.
pub fn doc(keyword: &str) -> Option<&'static str> {
    KEYWORDS.iter().find(|(k, _)| *k == keyword).map(|(_, d)| *d)
}

/// What a strategy does.
pub fn strategy_doc(name: &str) -> Option<&'static str> {
    STRATEGIES.iter().find(|(s, _)| *s == name).map(|(_, d)| *d)
}
