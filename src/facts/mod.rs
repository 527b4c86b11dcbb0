//! Facts from CSV: statement tables and relation tables (`load`, split by `csv_scan`), the
//! quote check (`quotes`), `--as-of` filtering (`asof`), and the confinement of every path a
//! rule file names (`confine`).

pub mod asof;
pub mod confine;
pub mod csv_scan;
pub mod load;
pub mod quotes;
