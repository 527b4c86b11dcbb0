//! Tokens of the rule language (to be written).
