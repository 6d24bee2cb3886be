//! What a crate exports to Python, read with `syn` as the compiler reads
//! it: the `#[pyfunction]`s and `#[pyclass]`es of the module tree maturin
//! builds (from `src/lib.rs` through its `mod`s), by the names Python sees,
//! with their Python parameters; and which of them a `#[pymodule]` adds
//! (`wrap_pyfunction!`, `add_class`, `#[pymodule_export]`).

use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::visit::Visit;

/// A `#[pyfunction]`: its Python name and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct RustFunction {
    pub name: String,
    /// The Rust name, where a rename gave it another.
    pub rust_name: String,
    /// (name, type as written) of each parameter Python passes: a `py:
    /// Python` token is not one.
    pub params: Vec<(String, String)>,
    /// Its file, for messages.
    pub file: PathBuf,
}

/// A `#[pyclass]`: its Python name, and the parameters of its `#[new]`
/// (None when it has no constructor Python can call).
#[derive(Clone, Debug, PartialEq)]
pub struct RustClass {
    pub name: String,
    pub rust_name: String,
    pub new: Option<Vec<(String, String)>>,
}

/// Everything exported, in source order.
#[derive(Debug, Default, PartialEq)]
pub struct Exports {
    pub functions: Vec<RustFunction>,
    pub classes: Vec<RustClass>,
    /// Files `syn` could not parse: named, not fatal.
    pub unreadable: Vec<String>,
}

/// Reads the module tree from `root` and keeps what its `#[pymodule]`s add;
/// with no `#[pymodule]` found, every `#[pyfunction]` and `#[pyclass]`.
pub fn read(root: &Path) -> Exports {
    let mut walk = Walk::default();
    walk.file(root, root.parent().unwrap_or(Path::new(".")), true);
    let Walk {
        mut functions,
        mut classes,
        registered,
        module_seen,
        unreadable,
        news,
    } = walk;
    if module_seen {
        functions.retain(|f| registered.contains(&f.rust_name) || registered.contains(&f.name));
        classes.retain(|c| registered.contains(&c.rust_name) || registered.contains(&c.name));
    }
    for c in &mut classes {
        c.new = news
            .iter()
            .find(|(owner, _)| *owner == c.rust_name)
            .map(|(_, p)| p.clone());
    }
    Exports {
        functions,
        classes,
        unreadable,
    }
}

#[derive(Default)]
struct Walk {
    functions: Vec<RustFunction>,
    classes: Vec<RustClass>,
    /// Rust names a `#[pymodule]` adds.
    registered: Vec<String>,
    module_seen: bool,
    unreadable: Vec<String>,
    /// (type, parameters of its `#[new]`).
    news: Vec<(String, Vec<(String, String)>)>,
}

impl Walk {
    /// `dir` is where this file's `mod x;` children are: its own folder for
    /// a crate root or `mod.rs`, else the folder named like it.
    fn file(&mut self, path: &Path, dir: &Path, root: bool) {
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let file = match syn::parse_file(&text) {
            Ok(f) => f,
            Err(e) => {
                self.unreadable.push(format!("{}: {e}", path.display()));
                return;
            }
        };
        let own_dir = if root || path.file_name().is_some_and(|n| n == "mod.rs") {
            dir.to_path_buf()
        } else {
            dir.join(path.file_stem().unwrap_or_default())
        };
        self.items(&file.items, path, &own_dir);
    }

    fn items(&mut self, items: &[syn::Item], path: &Path, dir: &Path) {
        for item in items {
            match item {
                syn::Item::Fn(f) => self.function(f, path),
                syn::Item::Struct(s) => self.class(&s.attrs, &s.ident),
                syn::Item::Enum(e) => self.class(&e.attrs, &e.ident),
                syn::Item::Impl(i) => self.constructor(i),
                syn::Item::Mod(m) => self.module(m, path, dir),
                _ => {}
            }
        }
    }

    fn function(&mut self, f: &syn::ItemFn, path: &Path) {
        if has(&f.attrs, "pymodule") {
            self.module_seen = true;
            let mut adds = Registrations::default();
            adds.visit_block(&f.block);
            self.registered.extend(adds.names);
            // Functions and classes may be defined inside the module's body.
            let inner: Vec<syn::Item> = f
                .block
                .stmts
                .iter()
                .filter_map(|s| match s {
                    syn::Stmt::Item(item) => Some(item.clone()),
                    _ => None,
                })
                .collect();
            self.items(&inner, path, path.parent().unwrap_or(Path::new(".")));
            return;
        }
        if !has(&f.attrs, "pyfunction") {
            return;
        }
        let rust_name = f.sig.ident.to_string();
        self.functions.push(RustFunction {
            name: renamed(&f.attrs).unwrap_or_else(|| rust_name.clone()),
            rust_name,
            params: python_params(&f.attrs, &f.sig),
            file: path.to_path_buf(),
        });
    }

    fn class(&mut self, attrs: &[syn::Attribute], ident: &syn::Ident) {
        if has(attrs, "pyclass") {
            let rust_name = ident.to_string();
            self.classes.push(RustClass {
                name: renamed(attrs).unwrap_or_else(|| rust_name.clone()),
                rust_name,
                new: None,
            });
        }
    }

    /// A `#[pymethods]` block's `#[new]`.
    fn constructor(&mut self, block: &syn::ItemImpl) {
        if !has(&block.attrs, "pymethods") {
            return;
        }
        let owner = block.self_ty.to_token_stream().to_string();
        for item in &block.items {
            if let syn::ImplItem::Fn(m) = item
                && has(&m.attrs, "new")
            {
                self.news
                    .push((owner.clone(), python_params(&m.attrs, &m.sig)));
            }
        }
    }

    /// `mod x { ... }`, a declarative `#[pymodule] mod x { ... }`, or
    /// `mod x;` read from `x.rs` or `x/mod.rs`.
    fn module(&mut self, m: &syn::ItemMod, path: &Path, dir: &Path) {
        let declarative = has(&m.attrs, "pymodule");
        if let Some((_, items)) = &m.content {
            if declarative {
                self.module_seen = true;
                for item in items {
                    self.export(item);
                }
            }
            self.items(items, path, &dir.join(m.ident.to_string()));
            return;
        }
        let name = m.ident.to_string();
        let own = dir.join(format!("{name}.rs"));
        let nested = dir.join(&name).join("mod.rs");
        if own.is_file() {
            self.file(&own, dir, false);
        } else if nested.is_file() {
            self.file(&nested, &dir.join(&name), false);
        }
    }

    /// What a declarative module adds: its `#[pymodule_export]` uses, and
    /// the functions and classes defined in it.
    fn export(&mut self, item: &syn::Item) {
        match item {
            syn::Item::Use(u) if has(&u.attrs, "pymodule_export") => {
                let mut names = Vec::new();
                use_names(&u.tree, &mut names);
                self.registered.extend(names);
            }
            syn::Item::Fn(f) if has(&f.attrs, "pyfunction") => {
                self.registered.push(f.sig.ident.to_string());
            }
            syn::Item::Struct(s) if has(&s.attrs, "pyclass") => {
                self.registered.push(s.ident.to_string());
            }
            syn::Item::Enum(e) if has(&e.attrs, "pyclass") => {
                self.registered.push(e.ident.to_string());
            }
            _ => {}
        }
    }
}

/// The last names of a `use` tree: `super::{a, b as c}` gives a and b.
fn use_names(tree: &syn::UseTree, out: &mut Vec<String>) {
    match tree {
        syn::UseTree::Path(p) => use_names(&p.tree, out),
        syn::UseTree::Name(n) => out.push(n.ident.to_string()),
        syn::UseTree::Rename(r) => out.push(r.ident.to_string()),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
        syn::UseTree::Glob(_) => {}
    }
}

/// The names a `#[pymodule]` function's body adds: `wrap_pyfunction!(f, m)`
/// and `m.add_class::<T>()`.
#[derive(Default)]
struct Registrations {
    names: Vec<String>,
}

impl<'ast> Visit<'ast> for Registrations {
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if m.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "wrap_pyfunction")
            && let Some(proc_macro2::TokenTree::Ident(first)) = m.tokens.clone().into_iter().next()
        {
            // `wrap_pyfunction!(module::f, m)`: the path's last name.
            let text = m.tokens.to_string();
            let path = text.split(',').next().unwrap_or_default();
            let name = path.rsplit("::").next().unwrap_or_default().trim();
            self.names.push(if name.is_empty() {
                first.to_string()
            } else {
                name.to_owned()
            });
        }
        syn::visit::visit_macro(self, m);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "add_class"
            && let Some(turbofish) = &call.turbofish
            && let Some(syn::GenericArgument::Type(t)) = turbofish.args.first()
        {
            let text = t.to_token_stream().to_string();
            self.names.push(
                text.rsplit("::")
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            );
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// Whether an attribute list has `#[NAME]` or `#[pyo3::NAME]`, with or
/// without arguments.
fn has(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .any(|a| a.path().segments.last().is_some_and(|s| s.ident == name))
}

/// `name = "..."` in `#[pyfunction(...)]`, `#[pyclass(...)]` or `#[pyo3(...)]`.
fn renamed(attrs: &[syn::Attribute]) -> Option<String> {
    attr_value(attrs, "name").and_then(|v| match v {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    })
}

/// The value of `KEY = ...` in any of the pyo3 attributes.
fn attr_value(attrs: &[syn::Attribute], key: &str) -> Option<syn::Expr> {
    let mut found = None;
    for a in attrs {
        let last = a.path().segments.last().map(|s| s.ident.to_string());
        if !matches!(last.as_deref(), Some("pyo3" | "pyfunction" | "pyclass")) {
            continue;
        }
        let Ok(list) = a.meta.require_list() else {
            continue;
        };
        let _ = list.parse_nested_meta(|meta| {
            if meta.path.is_ident(key) {
                found = Some(meta.value()?.parse::<syn::Expr>()?);
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _: proc_macro2::TokenStream = meta.input.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// The parameters Python passes: `#[pyo3(signature = (a, b=1))]`'s names
/// where given, else the function's own, without `py: Python` or the module
/// of `pass_module`; each with its Rust type.
fn python_params(attrs: &[syn::Attribute], sig: &syn::Signature) -> Vec<(String, String)> {
    let typed: Vec<(String, String)> = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(t) => Some((
                t.pat.to_token_stream().to_string(),
                t.ty.to_token_stream().to_string(),
            )),
            syn::FnArg::Receiver(_) => None,
        })
        .filter(|(_, ty)| !is_python_token(ty))
        .map(|(name, ty)| (name.trim_start_matches("mut ").to_owned(), normal_type(&ty)))
        .collect();
    let Some(syn::Expr::Tuple(signature)) = attr_value(attrs, "signature") else {
        return typed;
    };
    signature
        .elems
        .iter()
        .filter_map(|e| {
            let text = e.to_token_stream().to_string();
            let name = text
                .split('=')
                .next()?
                .trim()
                .trim_start_matches('*')
                .trim()
                .to_owned();
            let ty = typed
                .iter()
                .find(|(n, _)| *n == name)
                .map_or_else(String::new, |(_, t)| t.clone());
            Some((name, ty))
        })
        .collect()
}

fn is_python_token(ty: &str) -> bool {
    let ty = ty.replace(' ', "");
    ty.starts_with("Python<") || ty.contains("Bound<'_,PyModule>") || ty.contains("PyModule>")
}

/// A type as written, without lifetimes or spaces: `& 'a str` is `&str`.
fn normal_type(ty: &str) -> String {
    let no_space: String = ty.split_whitespace().collect();
    let mut out = String::new();
    let mut chars = no_space.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            while chars
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                chars.next();
            }
            if chars.peek() == Some(&',') {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out.replace("<>", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_module_function_registers_what_python_sees_with_renames_and_signatures() {
        let dir = crate_with(&[(
            "src/lib.rs",
            "use pyo3::prelude::*;\n\
             #[pyfunction]\nfn search(contents: &str, needle: &str) -> usize { 0 }\n\
             #[pyfunction]\nfn search_detached(py: Python<'_>, contents: &str, needle: &str) -> usize { 0 }\n\
             #[pyfunction]\n#[pyo3(name = \"fast_sum\", signature = (values, start = 0))]\nfn sum_impl(values: Vec<i64>, start: i64) -> i64 { 0 }\n\
             #[pyfunction]\nfn unregistered() {}\n\
             #[pyclass(name = \"Point\")]\nstruct RustPoint { x: f64 }\n\
             #[pymethods]\nimpl RustPoint {\n    #[new]\n    #[pyo3(signature = (x = 0.0))]\n    fn new(x: f64) -> Self { Self { x } }\n}\n\
             #[pymodule]\nfn ext(m: &Bound<'_, PyModule>) -> PyResult<()> {\n\
                 m.add_function(wrap_pyfunction!(search, m)?)?;\n\
                 m.add_function(wrap_pyfunction!(search_detached, m)?)?;\n\
                 m.add_function(wrap_pyfunction!(sum_impl, m)?)?;\n\
                 m.add_class::<RustPoint>()?;\n\
                 #[pyfunction]\n    fn inner(n: u64) -> u64 { n }\n\
                 m.add_function(wrap_pyfunction!(inner, m)?)?;\n    Ok(())\n}\n",
        )]);
        let e = read(&dir.path().join("src/lib.rs"));
        let names: Vec<&str> = e.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["search", "search_detached", "fast_sum", "inner"]);
        let str_param = |n: &str| (n.to_owned(), "&str".to_owned());
        assert_eq!(
            e.functions[1].params,
            [str_param("contents"), str_param("needle")]
        );
        assert_eq!(
            e.functions[2].params,
            [
                ("values".into(), "Vec<i64>".into()),
                ("start".into(), "i64".into())
            ]
        );
        assert_eq!(e.classes.len(), 1);
        assert_eq!(e.classes[0].name, "Point");
        assert_eq!(e.classes[0].new.as_ref().unwrap().len(), 1);
    }

    #[test]
    fn a_declarative_module_and_mod_files_are_followed() {
        let dir = crate_with(&[
            (
                "src/lib.rs",
                "mod kernels;\nuse pyo3::prelude::*;\n\
                 #[pymodule]\nmod ext {\n    #[pymodule_export]\n    use super::kernels::{triple, Bag};\n\
                 \n    #[pyfunction]\n    fn inside(n: u64) -> u64 { n }\n}\n",
            ),
            (
                "src/kernels/mod.rs",
                "use pyo3::prelude::*;\n#[pyfunction]\n#[pyo3(signature = (n,))]\npub fn triple(n: u64) -> u64 { 3 * n }\n\
                 #[pyfunction]\npub fn hidden(n: u64) -> u64 { n }\n#[pyclass]\npub struct Bag;\n",
            ),
        ]);
        let e = read(&dir.path().join("src/lib.rs"));
        let names: Vec<&str> = e.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["triple", "inside"],
            "in the order the module tree is read"
        );
        assert_eq!(e.classes[0].name, "Bag");
        assert_eq!(e.classes[0].new, None, "no #[new]: Python cannot make one");
    }
}
