//! The layers inside `shared`, checked: rules and types <- use cases (`service`, one
//! concept each) <- page assemblers (`page`). Reads the sources and fails when a use case
//! can reach itself again through other modules' use cases, printing the circle.
//!
//! Each module is two nodes: its vocabulary (types, rules, entities, `access`'s policy,
//! the event outbox) and its use cases (`<module>/service.rs` and `<module>/service/`).
//! `page` is all use-case level. An edge is a mention in a file of one node: `crate::x`
//! points at x's vocabulary, `x::service` at x's use cases, `crate::page` at the pages.
//! Circles among vocabulary alone are allowed: the wire types are one language (an error
//! names a deal field, an event carries a deal view); circles through a use case are not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A node of the graph: a module's vocabulary or its use cases.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Node {
    module: String,
    uses: bool,
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.uses, self.module.as_str()) {
            (true, "page") | (false, _) => write!(f, "{}", self.module),
            (true, module) => write!(f, "{module}::service"),
        }
    }
}

type Graph = BTreeMap<Node, BTreeMap<Node, BTreeSet<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comments (doc links name modules without depending on them).
fn without_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first path segments after every `crate::`, including each item of `crate::{a, b}`.
fn crate_paths(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in source.match_indices("crate::") {
        if at > 0 && source[..at].ends_with(is_ident) {
            continue;
        }
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && is_ident(c) => {
                        let name: String =
                            group[i..].chars().take_while(|c| is_ident(*c)).collect();
                        found.push(name);
                        item_start = false;
                    }
                    c if !c.is_whitespace() => item_start = false,
                    _ => {}
                }
            }
        } else {
            found.push(rest.chars().take_while(|c| is_ident(*c)).collect());
        }
    }
    found
}

/// The modules whose use cases the source names as `<module>::service`.
fn service_paths(source: &str) -> Vec<String> {
    source
        .match_indices("::service")
        .filter(|(at, _)| !source[at + "::service".len()..].starts_with(is_ident))
        .filter_map(|(at, _)| {
            let before = &source[..at];
            let start = before.rfind(|c: char| !is_ident(c)).map_or(0, |i| i + 1);
            (start < at).then(|| before[start..].to_owned())
        })
        .collect()
}

fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module_of = |path: &Path| -> Vec<String> {
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|path| module_of(path)[0].clone())
        .filter(|module| module != "lib")
        .collect();
    let mut graph = Graph::new();
    for path in &files {
        let parts = module_of(path);
        let module = parts[0].clone();
        if module == "lib" {
            continue;
        }
        let from = Node {
            uses: module == "page" || parts.get(1).is_some_and(|p| p == "service"),
            module: module.clone(),
        };
        let source = without_comments(&std::fs::read_to_string(path).unwrap());
        let vocabulary = crate_paths(&source).into_iter().map(|m| Node {
            uses: m == "page",
            module: m,
        });
        let use_cases = service_paths(&source).into_iter().map(|m| Node {
            module: m,
            uses: true,
        });
        let file = path.strip_prefix(src).unwrap().display().to_string();
        for to in vocabulary.chain(use_cases) {
            if to.module != module && modules.contains(&to.module) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(file.clone());
            }
        }
    }
    graph
}

/// A circle through `start`, if one exists: the nodes in order, with the files of each
/// step.
fn circle_through(graph: &Graph, start: &Node) -> Option<Vec<String>> {
    let mut previous: BTreeMap<Node, Node> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.clone()]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(&node).into_iter().flat_map(|edges| edges.keys()) {
            if next == start {
                let mut path = vec![node.clone()];
                while let Some(before) = previous.get(path.last().unwrap()) {
                    path.push(before.clone());
                }
                path.reverse();
                path.push(start.clone());
                return Some(
                    path.windows(2)
                        .map(|step| {
                            let files = &graph[&step[0]][&step[1]];
                            format!(
                                "{} -> {} ({})",
                                step[0],
                                step[1],
                                files.iter().cloned().collect::<Vec<_>>().join(", ")
                            )
                        })
                        .collect(),
                );
            }
            if next != start && !previous.contains_key(next) {
                previous.insert(next.clone(), node.clone());
                queue.push_back(next.clone());
            }
        }
    }
    None
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_use_case_reaches_itself_through_other_modules() {
    let graph = graph(&src_dir());
    let use_cases: Vec<&Node> = graph.keys().filter(|node| node.uses).collect();
    assert!(
        use_cases.iter().any(|node| node.module == "deal"),
        "the scan found no use cases; is it reading the right folder?"
    );
    for node in use_cases {
        if let Some(circle) = circle_through(&graph, node) {
            panic!(
                "a circle between modules of `shared` (move the function to the lower side, \
                 into `access`, or up into `page`):\n  {}",
                circle.join("\n  ")
            );
        }
    }
}

#[test]
fn only_pages_read_pages() {
    let graph = graph(&src_dir());
    let page = Node {
        module: "page".to_owned(),
        uses: true,
    };
    for (from, edges) in &graph {
        if let Some(files) = edges.get(&page) {
            panic!("{from} reads a page assembler ({files:?}); pages sit on top");
        }
    }
}

#[test]
fn the_scan_sees_grouped_imports_and_use_case_paths() {
    let source = "use crate::{deal::DealId, client::{ClientId}};\nlet x = custom_field::service::labels(db);\nuse crate::user::UserId;";
    assert_eq!(crate_paths(source), ["deal", "client", "user"]);
    assert_eq!(service_paths(source), ["custom_field"]);
}
