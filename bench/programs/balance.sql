-- Structural balance on a signed network (bench/run: "balance"); see balance.dl.
CREATE TABLE pos AS SELECT * FROM read_csv('{dir}/pos.facts', delim = '\t', header = false, columns = {'x': 'BIGINT', 'y': 'BIGINT'});
CREATE TABLE neg AS SELECT * FROM read_csv('{dir}/neg.facts', delim = '\t', header = false, columns = {'x': 'BIGINT', 'y': 'BIGINT'});
CREATE TABLE friend AS SELECT x, y FROM pos UNION SELECT y, x FROM pos;
CREATE TABLE enemy AS SELECT x, y FROM neg UNION SELECT y, x FROM neg;
CREATE TABLE friend_of_friend AS
    SELECT DISTINCT a.x, b.y AS z FROM friend a JOIN friend b ON a.y = b.x WHERE a.x <> b.y;
CREATE TABLE enemy_of_enemy AS
    SELECT DISTINCT a.x, b.y AS z FROM enemy a JOIN enemy b ON a.y = b.x WHERE a.x <> b.y;
CREATE TABLE member AS SELECT DISTINCT x FROM friend;
CREATE TABLE reach AS
    WITH RECURSIVE r(x, y) AS (
        SELECT x, x FROM member
        UNION
        SELECT r.x, f.y FROM r JOIN friend f ON r.y = f.x
    )
    SELECT * FROM r;
CREATE TABLE bloc AS SELECT x, min(y) AS leader FROM reach GROUP BY x;
CREATE TABLE sign AS SELECT x, y, 1 AS s FROM pos UNION SELECT x, y, -1 FROM neg;
CREATE TABLE triangle AS
    SELECT DISTINCT a.x, a.y, b.y AS z, a.s * b.s * c.s AS p
    FROM sign a JOIN sign b ON a.y = b.x JOIN sign c ON c.x = a.x AND c.y = b.y;
SELECT 'friend_of_friend', count(*) FROM friend_of_friend
UNION ALL SELECT 'enemy_of_enemy', count(*) FROM enemy_of_enemy
UNION ALL SELECT 'reach', count(*) FROM reach
UNION ALL SELECT 'triangle', count(*) FROM triangle
UNION ALL SELECT 'blocs', count(*) FROM bloc WHERE x = leader
UNION ALL SELECT 'balanced', count(*) FROM triangle WHERE p = 1
UNION ALL SELECT 'unbalanced', count(*) FROM triangle WHERE p = -1;
