-- Transitive triads by sign on a signed R-MAT graph (bench/run: "triads"); see triads.dl.
-- Set semantics as in Datalog: the facts are made DISTINCT; a triad names its three edges
-- with their signs, so the join of a set yields each triad once.
CREATE TABLE edge AS SELECT DISTINCT a, b, s FROM read_csv('{dir}/edge.facts', delim = '\t', header = false, columns = {'a': 'BIGINT', 'b': 'BIGINT', 's': 'BIGINT'});
CREATE TABLE triad AS
    SELECT e1.a, e1.b, e2.b AS c, e1.s AS sab, e2.s AS sbc, e3.s AS sac
    FROM edge e1 JOIN edge e2 ON e2.a = e1.b JOIN edge e3 ON e3.a = e1.a AND e3.b = e2.b
    WHERE e1.a <> e2.b;
CREATE TABLE balanced AS SELECT DISTINCT a, b, c FROM triad WHERE sab * sbc = sac;
SELECT 'triad', count(*) FROM triad
UNION ALL SELECT 'balanced', count(*) FROM balanced;
