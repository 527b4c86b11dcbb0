-- CSV loading (bench/run: "load"); see load.dl. The statement table is read whole and
-- kept (as stance keeps every row with its provenance), then one relation is counted.
CREATE TABLE statements AS SELECT * FROM read_csv('{dir}/statements.csv', header = true, all_varchar = true);
SELECT 'backs_pairs', count(*) FROM (SELECT DISTINCT subject, object FROM statements WHERE relation = 'backs');
