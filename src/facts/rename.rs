//! Renaming a statement relation in the statement tables: where the relation cells of its
//! rows are, found with the one CSV splitter ([`crate::facts::csv_scan`]) so that a quoted
//! cell, a quote column that mentions the name, or a field spanning lines is read as loading
//! reads it.

use crate::facts::csv_scan::Records;
use crate::facts::load::normalise_relation_name;
use std::ops::Range;

/// Byte ranges of `text` (a statement table) to replace with a new relation name: the
/// relation cell of each row whose relation, normalised as loading normalises it, is
/// `relation`. A plain cell is taken whole (spaces around the name included); a quoted one
/// inside its quotes, or whole when it has doubled quotes or text after its closing quote.
/// Replacing each range with a name of letters, digits and `_` keeps every row valid CSV.
/// Rows that loading skips (another number of fields) are left alone; an unclosed quote
/// ends the scan, as it ends loading.
pub fn relation_cells(text: &str, relation: &str) -> Vec<Range<usize>> {
    let base = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let body = &text[base..];
    let mut records = Records::new(body, b',');
    let mut fields = Vec::new();
    let Ok(Some(_)) = records.next_record(&mut fields) else { return Vec::new() };
    let width = fields.len();
    let Some(column) = fields.iter().position(|f| f.value(body).trim().eq_ignore_ascii_case("relation")) else {
        return Vec::new();
    };
    let mut cells = Vec::new();
    while let Ok(Some(_)) = records.next_record(&mut fields) {
        if fields.len() != width {
            continue;
        }
        let cell = fields[column];
        if normalise_relation_name(&cell.value(body)).as_deref() == Some(relation) {
            let range = cell.range();
            cells.push(base + range.start..base + range.end);
        }
    }
    cells
}

/// Whether `name` can name a statement relation: it is its own normal form (lower case,
/// `_` between words), so that the table's cell reads back as `name`.
pub fn is_statement_name(name: &str) -> bool {
    normalise_relation_name(name).as_deref() == Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_relation_cells_quote_aware() {
        let text = "\u{feff}subject,Relation,object,source,date,quote\n\
                    Egypt,backs,Tobruk,P,2016,\"says \"\"backs, Haftar\"\"\"\n\
                    UAE,\"backs\",\"Haf\ntar\",P,2016,q\n\
                    Russia, Backs ,Haftar,P,2016,q\n\
                    Qatar,\"ba\"\"cks\",GNA,P,2016,q\n\
                    Turkey,backs,GNA\n\
                    Italy,relies on,GNA,P,2016,q\n";
        let cells: Vec<&str> = relation_cells(text, "backs").into_iter().map(|r| &text[r]).collect();
        assert_eq!(cells, ["backs", "backs", " Backs "]);
        let cells: Vec<&str> = relation_cells(text, "relies_on").into_iter().map(|r| &text[r]).collect();
        assert_eq!(cells, ["relies on"]);
        let cells: Vec<&str> = relation_cells(text, "ba_cks").into_iter().map(|r| &text[r]).collect();
        assert_eq!(cells, ["\"ba\"\"cks\""]);
        assert!(is_statement_name("supports") && !is_statement_name("Supports") && !is_statement_name("a__b"));
    }
}
