//! Pictures of a model: the stance network (`network`), drawn as Graphviz (`graph`) and as
//! the HTML report (`report`, laid out by `layout`), with the review's findings (`findings`).

pub mod export;
pub mod findings;
pub mod graph;
pub mod layout;
pub mod network;
pub mod report;
