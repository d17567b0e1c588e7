//! The method table as text: one row per method (name, session policy, where it is
//! defined), then its signature and the first line of its doc comment.

use std::collections::BTreeSet;
use std::io::{self, Write};

use sessions_core::{MethodInfo, MethodTable, ObjectInfo, VariableInfo};

/// Writes every method of `table` to `out`, sorted by name, then the live `objects` and
/// the exported `variables`.
pub fn write(
    out: &mut impl Write,
    table: &MethodTable,
    objects: &[ObjectInfo],
    variables: &[VariableInfo],
) -> io::Result<()> {
    if let Some(why) = table.why_empty() {
        return writeln!(out, "0 exported methods: {why}");
    }
    let crates: BTreeSet<&str> = table
        .iter()
        .filter_map(|method| method.module_path().split("::").next())
        .collect();
    let crates: Vec<&str> = crates.into_iter().collect();
    writeln!(
        out,
        "{} exported methods from {} crates: {}\n",
        table.len(),
        crates.len(),
        crates.join(", ")
    )?;

    let name_width = column_width("NAME", table.iter().map(|m| m.name().len()));
    let policy_width = column_width("POLICY", table.iter().map(|m| m.policy().to_string().len()));
    let at = |m: &MethodInfo| format!("{}:{}", m.file(), m.line());
    let at_width = column_width("FILE:LINE", table.iter().map(|m| at(m).len()));
    writeln!(
        out,
        "{:name_width$}  {:policy_width$}  {:at_width$}  RUST PATH",
        "NAME", "POLICY", "FILE:LINE"
    )?;
    for method in table.iter() {
        let policy = method.policy().to_string();
        writeln!(
            out,
            "{:name_width$}  {policy:policy_width$}  {:at_width$}  {}",
            method.name(),
            at(method),
            method.path()
        )?;
        writeln!(out, "    {method}")?;
        let doc = method.doc().lines().next().unwrap_or("(no doc comment)");
        writeln!(out, "    {doc}")?;
    }

    for (name, methods) in table.duplicates() {
        writeln!(
            out,
            "\nwarning: {} methods are named {name:?}; calling it fails until they are renamed",
            methods.len()
        )?;
    }
    write_objects(out, objects)?;
    write_variables(out, variables)
}

/// The live objects: a host calls `<path>.<method>` on each.
fn write_objects(out: &mut impl Write, objects: &[ObjectInfo]) -> io::Result<()> {
    writeln!(
        out,
        "\n{} live objects (a host calls PATH.METHOD):\n",
        objects.len()
    )?;
    let path_width = column_width("PATH", objects.iter().map(|o| o.path.len()));
    writeln!(out, "{:path_width$}  TYPE / METHODS", "PATH")?;
    for object in objects {
        writeln!(out, "{:path_width$}  {}", object.path, object.type_name)?;
        writeln!(out, "{:path_width$}    {}", "", object.methods.join(", "))?;
    }
    Ok(())
}

/// The exported variables: a host reads, writes and watches each by its path.
fn write_variables(out: &mut impl Write, variables: &[VariableInfo]) -> io::Result<()> {
    writeln!(
        out,
        "\n{} exported variables (a host reads, writes and watches PATH):\n",
        variables.len()
    )?;
    let path_width = column_width("PATH", variables.iter().map(|v| v.path.len()));
    let type_width = column_width("TYPE", variables.iter().map(|v| v.type_name.len()));
    writeln!(
        out,
        "{:path_width$}  {:type_width$}  WRITE ROLE",
        "PATH", "TYPE"
    )?;
    for variable in variables {
        let role = variable.write_role.as_deref().unwrap_or("(any session)");
        writeln!(
            out,
            "{:path_width$}  {:type_width$}  {role}",
            variable.path, variable.type_name
        )?;
    }
    Ok(())
}

fn column_width(header: &str, widths: impl Iterator<Item = usize>) -> usize {
    widths.max().unwrap_or(0).max(header.len())
}
