//! The catalogue of diagnostic codes: stable identifiers users can search
//! for, suppress in CI tooling, and find documented in `docs/diagnostics.md`.
//!
//! Codes are grouped by stage: `E00xx` syntax, `E01xx` project and names,
//! `E02xx` types, `E03xx` declarations, `W0xxx` warnings.

use super::Severity;

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $title:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $title] $variant,)*
        }

        impl Code {
            /// Every code, for documentation and the fixture-coverage test.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed (`E0001`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The severity every diagnostic of this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// A short title, used as the SARIF rule description.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
        }
    };
}

codes! {
    Syntax = "E0001", Error, "syntax error";
    TooDeep = "E0002", Error, "nesting too deep";
    InvalidNumber = "E0003", Error, "number out of range or malformed";
    UnterminatedString = "E0004", Error, "string literal never closed";
    FileTooLarge = "E0005", Error, "rule file too large";
    UnclosedBracket = "E0010", Error, "bracket never closed";

    ImportNotFound = "E0101", Error, "imported file cannot be read";
    ImportCycle = "E0102", Error, "import cycle";
    Duplicate = "E0103", Error, "name declared twice";
    RuleInImport = "E0104", Error, "rule in an imported file";
    NoSchema = "E0105", Error, "project has no schema";
    SecondSchema = "E0106", Error, "project has more than one schema";
    UnknownField = "E0107", Error, "unknown field";
    UnknownTeam = "E0108", Error, "unknown team";
    UnknownName = "E0109", Error, "unknown name in a condition";
    UnknownLookup = "E0110", Error, "unknown lookup";
    UnknownStrategy = "E0111", Error, "unknown distribution strategy";
    DuplicateLabel = "E0112", Error, "rule label used twice";
    SecondOnInvalid = "E0113", Error, "more than one `on invalid` rule";
    PathOutsideProject = "E0114", Error, "file outside the project directory";
    NotRegularFile = "E0115", Error, "not a regular file";
    ProjectFileTooLarge = "E0116", Error, "imported or lookup file too large";
    ConditionTooLarge = "E0117", Error, "condition too large once lets are expanded";

    OperatorType = "E0201", Error, "operator does not apply to the field's type";
    LiteralType = "E0202", Error, "literal of the wrong type";
    UnknownEnumValue = "E0203", Error, "value not in the enum";
    ExistsOnRequired = "E0204", Error, "`exists` on a required field";
    InvalidRegex = "E0205", Error, "invalid regular expression";
    NotBoolean = "E0206", Error, "name used as a condition is not boolean";
    LetCycle = "E0207", Error, "`let` defined in terms of itself";
    LookupKeyType = "E0208", Error, "lookup keyed by a non-string field";

    DuplicateField = "E0301", Error, "field or input column declared twice";
    AliasNotEnum = "E0302", Error, "alias on a field that is not an enum";
    AliasTarget = "E0303", Error, "alias maps to a value the enum lacks";
    BadWeight = "E0304", Error, "team member weight is not a positive integer";
    DuplicateMember = "E0305", Error, "team member listed twice";
    LookupFile = "E0306", Error, "lookup file cannot be read";
    LookupColumn = "E0307", Error, "lookup column not in the file";
    LookupDuplicateKey = "E0308", Error, "lookup key appears twice with different values";
    RuleAfterOtherwise = "E0309", Error, "rule after `otherwise`";
    AliasConflict = "E0311", Error, "one spelling aliased to two values";

    // E063x: dates and times (LANGUAGE.md §12).
    BadTimeLiteral = "E0631", Error, "invalid date or datetime literal";
    BadTimeFormat = "E0632", Error, "invalid date format";
    FormatNotTime = "E0633", Error, "`format` on a field that is not a date or datetime";
    UnknownZone = "E0634", Error, "unknown time zone in an hours test";
    BadHours = "E0635", Error, "invalid working hours in an hours test";

    // E04xx: test files and case tables (`route test`).
    TestSyntax = "E0401", Error, "syntax error in a test file";
    UnknownRule = "E0402", Error, "unknown rule in an expectation";
    UnknownQueue = "E0403", Error, "unknown queue in an expectation";
    InvalidTestLead = "E0404", Error, "test lead is invalid and no test expects it";
    DuplicateLeadField = "E0405", Error, "field given twice in a test lead";
    TestRoster = "E0406", Error, "test roster cannot be used";
    TestNow = "E0407", Error, "test `now` is not an instant";
    CaseExpectation = "E0408", Error, "case table expectation not understood";

    UnreachableRule = "W0101", Warning, "rule can never match";
    CoverageGap = "W0102", Warning, "some valid leads match no rule";
    AlwaysTrue = "W0103", Warning, "condition is always true";
    AlwaysFalse = "W0104", Warning, "condition is never true";
    ContradictoryLet = "W0105", Warning, "`let` that no lead satisfies";
    EmptyTeam = "W0106", Warning, "team with no members";
    UnusedTeam = "W0107", Warning, "team no rule sends leads to";
    UnusedLet = "W0108", Warning, "`let` never used";
    UnusedLookup = "W0109", Warning, "lookup never used";
    UnusedAlias = "W0110", Warning, "alias spelling that never applies";
    Overlap = "W0111", Note, "rules with different targets overlap";
    UnknownRep = "W0112", Warning, "lookup names a rep in no team";
    AnalysisIncomplete = "W0113", Note, "analysis left some questions open";
    BidiControl = "W0130", Warning, "invisible bidirectional control character";
    CompileBudget = "W0114", Note, "decision DAG fell back to ordered rule lists";
    LegacyZone = "W0611", Warning, "hours test in a fixed-offset or legacy time zone";
    TableFile = "E0601", Error, "table file cannot be read";
    UnknownTable = "E0602", Error, "unknown table";
    UnknownColumn = "E0603", Error, "unknown table column";
    TableColumnMissing = "E0604", Error, "table column not in the file";
    BadCell = "E0605", Error, "table cell not of its column's type";
    TableDuplicateKey = "E0606", Error, "table key appears twice";
    TableKeyType = "E0607", Error, "table keyed by a value of the wrong type";
    UnknownFunction = "E0608", Error, "unknown function";
    FunctionArgument = "E0609", Error, "function applied to a field of the wrong type";
    ScorePoints = "E0610", Error, "score points not a whole number";
    ScoreCycle = "E0611", Error, "score defined in terms of itself";
    RepColumnType = "E0612", Error, "`rep` column that is not a string";
    UnusedTable = "W0601", Warning, "table never used";

    NoAvailableMember = "W0201", Warning, "team has nobody who can take leads";
    UnstaffedHours = "W0202", Warning, "team has nobody working at some hours";
    IdleWeight = "W0203", Warning, "weighted member never takes leads";
    UnusedRosterMember = "W0204", Warning, "roster member in no team";

    // E066x/W062x: splits, two owners, caps over time (LANGUAGE.md §14-§16).
    SplitShares = "E0661", Error, "split shares do not add up to 100%";
    UnnamedSplit = "E0662", Error, "split without a stable name";
    BadShare = "E0663", Error, "split share is not a percentage";
    EmptySplit = "E0664", Error, "split with no arms";
    SplitNameTaken = "E0665", Error, "two splits with one name";
    CapsBelowVolume = "W0621", Warning, "team's daily caps cannot absorb the expected volume";
}
