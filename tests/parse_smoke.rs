use route::source::FileId;
#[test]
fn all_language_fixtures_parse() {
    for entry in std::fs::read_dir("tests/fixtures/language").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("route") { continue; }
        let text = std::fs::read_to_string(&path).unwrap();
        let (module, diags) = route::syntax::parse(FileId(0), &text);
        assert!(diags.is_empty(), "{}: {:?}", path.display(), diags);
        assert!(!module.items.is_empty());
    }
}
