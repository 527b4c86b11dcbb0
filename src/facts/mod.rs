//! Facts from CSV: statement tables and relation tables (`load`), every record split by the
//! one CSV splitter (`csv_scan`), `--as-of` dates (`asof`, applied as statement tables
//! load), record values written as text (`record_text`), grades and the `--min-grade` filter
//! (`grade`), the confinement of every path a rule file names (`confine`), and where a
//! statement relation's rows name it, for renaming (`rename`), and a changed relation table
//! reloaded by its changed rows only (`reload`), and a changed statement table too
//! (`restate`).

pub mod asof;
pub mod confine;
pub mod csv_scan;
pub mod grade;
pub mod load;
pub mod part;
pub mod record_text;
pub mod reload;
pub mod rename;
pub mod restate;
