-- Directed 3-cycles on a signed R-MAT graph (bench/run: "cycles"); see cycles.dl. Set
-- semantics as in Datalog: the facts and the answer are sets, so both are made DISTINCT
-- (the rule ignores the sign, so an edge with both signs counts once).
CREATE TABLE edge AS SELECT DISTINCT a, b FROM read_csv('{dir}/edge.facts', delim = '\t', header = false, columns = {'a': 'BIGINT', 'b': 'BIGINT', 's': 'BIGINT'});
CREATE TABLE cycle AS
    SELECT DISTINCT e1.a, e1.b, e2.b AS c
    FROM edge e1 JOIN edge e2 ON e2.a = e1.b JOIN edge e3 ON e3.a = e2.b AND e3.b = e1.a
    WHERE e1.a < e1.b AND e1.a < e2.b AND e1.b <> e2.b;
SELECT 'cycle', count(*) FROM cycle;
