-- Same generation (bench/run: "sg").
CREATE TABLE edge AS SELECT * FROM read_csv('{dir}/edge.facts', delim = '\t', header = false, columns = {'x': 'INTEGER', 'y': 'INTEGER'});
WITH RECURSIVE sg(x, y) AS (
    SELECT a.y, b.y FROM edge a JOIN edge b ON a.x = b.x WHERE a.y <> b.y
    UNION
    SELECT a.y, b.y FROM sg JOIN edge a ON a.x = sg.x JOIN edge b ON b.x = sg.y
)
SELECT 'sg', count(*) FROM sg;
