//! Loading facts from CSV (to be written).
