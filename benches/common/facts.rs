//! Reading Soufflé-style fact files (tab-separated, no header) for the compiled baselines.

use std::path::Path;

/// Reads `x<TAB>y` lines as `u32` pairs.
pub fn read_pairs(path: &Path) -> Result<Vec<(u32, u32)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut pairs = Vec::with_capacity(text.len() / 10);
    for (i, line) in text.lines().enumerate() {
        let bad = || format!("{}:{}: expected two numbers separated by a tab", path.display(), i + 1);
        let (x, y) = line.split_once('\t').ok_or_else(bad)?;
        pairs.push((x.trim().parse().map_err(|_| bad())?, y.trim().parse().map_err(|_| bad())?));
    }
    Ok(pairs)
}
