//! Snapshots of the DAG listing for small hand-written programs: what
//! `route graph` will print. Each also checks the DAG against the reference
//! on a grid of leads, so a snapshot never records a wrong graph.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod dag_support;

use dag_support::*;
use route::check::program::{Ordering, Program, Scalar, TestKind};
use route::compile::{compile, Budget};
use route::eval::reference;
use route::schema::{FieldType, Lead, Value};

fn snapshot(name: &str, listing: &str) {
    insta::with_settings!({
        snapshot_path => "fixtures/dag/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, listing);
    });
}

/// Every combination of the given values per field.
fn grid(values: &[Vec<Value>]) -> Vec<Lead> {
    let mut leads = vec![Lead { values: vec![] }];
    for options in values {
        leads = leads
            .into_iter()
            .flat_map(|lead| {
                options.iter().map(move |v| {
                    let mut values = lead.values.clone();
                    values.push(v.clone());
                    Lead { values }
                })
            })
            .collect();
    }
    leads
}

fn agrees(program: &Program, budget: Budget, leads: &[Lead]) {
    let dag = compile(program, budget);
    for lead in leads {
        assert_eq!(dag.route(lead, &program.lookups), reference::first_match(program, lead), "{lead:?}");
    }
}

// region, country, employees, email?, annual_revenue, source
fn territories() -> Program {
    let schema = schema(
        &[
            ("region", enum_ty(0), false),
            ("country", FieldType::String, false),
            ("employees", FieldType::Int, false),
            ("email", FieldType::String, true),
            ("annual_revenue", FieldType::Float, false),
            ("source", enum_ty(1), false),
        ],
        &[&["NA", "EMEA", "APAC", "LATAM"], &["web", "partner", "event"]],
    );
    let (region, country, employees, email, revenue, source) = (0, 1, 2, 3, 4, 5);
    program(
        schema,
        vec![],
        vec![
            ("enterprise_na".into(), and(vec![eq(region, Scalar::Enum(0)), cmp(employees, Ordering::Ge, 1000.0)])),
            ("smb_na".into(), and(vec![eq(region, Scalar::Enum(0)), cmp(employees, Ordering::Lt, 100.0)])),
            ("dach".into(), and(vec![eq(region, Scalar::Enum(1)), is_in(country, vec![s("DE"), s("AT"), s("CH")])])),
            ("partners".into(), eq(source, Scalar::Enum(1))),
            ("whales".into(), or(vec![cmp(employees, Ordering::Ge, 5000.0), cmp(revenue, Ordering::Gt, 1e9)])),
            ("small_revenue".into(), cmp(revenue, Ordering::Le, 2.5e5)),
            ("edu".into(), test(email, TestKind::EndsWith(".edu".into()))),
            ("rest".into(), route::check::program::Cond::True),
        ],
    )
}

fn territory_leads() -> Vec<Lead> {
    grid(&[
        (0..4).map(Value::Enum).collect(),
        ["DE", "CH", "FR", "US"].iter().map(|c| Value::Str((*c).into())).collect(),
        [5, 99, 100, 999, 1000, 4999, 5000, 100_000].into_iter().map(Value::Int).collect(),
        vec![Value::Absent, Value::Str("a@b.edu".into()), Value::Str("a@b.com".into())],
        [1.0, 2.5e5, 2.5e5 + 0.01, 1e9, 2e9].into_iter().map(Value::Float).collect(),
        (0..3).map(Value::Enum).collect(),
    ])
}

#[test]
fn territories_listing() {
    let program = territories();
    agrees(&program, Budget::UNLIMITED, &territory_leads());
    snapshot("territories", &compile(&program, Budget::UNLIMITED).listing(&program));
}

#[test]
fn territories_listing_with_a_tiny_budget() {
    let program = territories();
    let budget = Budget { max_nodes: 8 };
    agrees(&program, budget, &territory_leads());
    snapshot("territories_budget", &compile(&program, budget).listing(&program));
}

// account_id?, company, industry?, tags (list<string>)
fn accounts() -> Program {
    let schema = schema(
        &[
            ("account_id", FieldType::String, true),
            ("company", FieldType::String, false),
            ("industry", enum_ty(0), true),
            ("tags", FieldType::List(route::schema::ElementType::String), true),
            ("hot", FieldType::Bool, false),
        ],
        &[&["finance", "insurance", "retail"]],
    );
    let (account, company, industry, tags, hot) = (0, 1, 2, 3, 4);
    program(
        schema,
        vec![lookup("account_owners", &["A1", "A2"])],
        vec![
            ("named".into(), in_lookup(account, 0)),
            ("banks".into(), and(vec![matches(company, "(?i)bank"), eq(industry, Scalar::Enum(0))])),
            ("unknown_industry".into(), and(vec![not(test(industry, TestKind::Exists)), eq(hot, Scalar::Bool(true))])),
            ("security".into(), test(tags, TestKind::ListContains(s("security")))),
            ("fsi".into(), is_in(industry, vec![Scalar::Enum(0), Scalar::Enum(1)])),
            ("acme".into(), and(vec![eq(company, s("Acme")), not(eq(hot, Scalar::Bool(true)))])),
        ],
    )
}

#[test]
fn accounts_listing() {
    let program = accounts();
    let leads = grid(&[
        vec![Value::Absent, Value::Str("A1".into()), Value::Str("B7".into())],
        ["Acme", "First Bank", "Globex"].iter().map(|c| Value::Str((*c).into())).collect(),
        vec![Value::Absent, Value::Enum(0), Value::Enum(1), Value::Enum(2)],
        vec![Value::Absent, Value::List(Box::default()), Value::List(Box::new([Value::Str("security".into())]))],
        vec![Value::Bool(false), Value::Bool(true)],
    ]);
    agrees(&program, Budget::UNLIMITED, &leads);
    agrees(&program, Budget { max_nodes: 3 }, &leads);
    snapshot("accounts", &compile(&program, Budget::UNLIMITED).listing(&program));
}

#[test]
fn a_budget_of_one_node_leaves_one_rules_node() {
    let program = territories();
    let budget = Budget { max_nodes: 1 };
    agrees(&program, budget, &territory_leads());
    let dag = compile(&program, budget);
    assert_eq!(dag.stats().rules_nodes, 1);
    assert_eq!(dag.root(), dag.unchecked());
    let listing = dag.listing(&program);
    assert!(
        listing
            .starts_with("dag: 1 nodes (switch 0, interval 0, test 0, rules 1, leaf 0), depth 0, budget hit\n#1 rules"),
        "{listing}"
    );
}
