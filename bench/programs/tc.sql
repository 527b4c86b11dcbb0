-- Transitive closure (bench/run: "tc"); UNION gives set semantics, as Datalog has.
CREATE TABLE edge AS SELECT * FROM read_csv('{dir}/edge.facts', delim = '\t', header = false, columns = {'x': 'INTEGER', 'y': 'INTEGER'});
WITH RECURSIVE path(x, y) AS (
    SELECT x, y FROM edge
    UNION
    SELECT path.x, edge.y FROM path JOIN edge ON path.y = edge.x
)
SELECT 'path', count(*) FROM path;
