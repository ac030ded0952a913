SELECT
    tupleElement(e, 1) AS event,
    count() AS events,
    uniqExact(person) AS persons,
    uniqExact(person, tupleElement(e, 2)) AS sessions
FROM (
    SELECT person, arrayMap(i -> (tupleElement(ev[i], 5), sess[i]), arrayFilter(i -> ts[i] >= 1000 AND ts[i] < 2000, idx)) AS counted
    FROM (
        SELECT
            person,
            ev,
            arrayMap(x -> tupleElement(x, 1), ev) AS ts,
            arrayEnumerate(ts) AS idx,
            arrayExists(x -> tupleElement(x, 4) != 0, ev)
                OR arrayExists((t, i) -> i >= 30 AND t - ts[i - 29] <= 10000, ts, idx) AS is_bot,
            arrayCumSum(arrayMap((t, i) -> toUInt32(i = 1 OR t - ts[i - 1] > 1800000), ts, idx)) AS sess,
            arrayMap(s -> indexOf(sess, s), sess) AS sess_first
        FROM (
            SELECT
                person,
                arraySort(x -> (tupleElement(x, 1), tupleElement(x, 2)),
                    arrayFilter((x, n) -> n = 1, arrived, arrayEnumerateUniq(arrayMap(x -> tupleElement(x, 3), arrived)))) AS ev
            FROM (
                SELECT
                    if(linked_user = '', concat('v:', visitor), concat('u:', linked_user)) AS person,
                    arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, name))) AS arrived
                FROM stepwise.events
                ANY LEFT JOIN (
                    SELECT visitor, argMin(user, seq) AS linked_user
                    FROM stepwise.identities
                    WHERE site = 'shop.example'
                    GROUP BY visitor
                ) USING visitor
                WHERE site = 'shop.example'
                    AND (key, seq, cityHash64(visitor, key)) NOT IN (
                        SELECT key, tupleElement(copy, 1), cityHash64(tupleElement(copy, 2), key)
                        FROM (
                            SELECT key, arraySort(groupUniqArray((seq, visitor))) AS copies
                            FROM stepwise.events
                            WHERE site = 'shop.example' AND cityHash64(key) IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))
                            GROUP BY key
                        )
                        ARRAY JOIN arraySlice(copies, 2) AS copy
                    )
                GROUP BY person
            )
        )
        WHERE NOT is_bot
    )
    WHERE length(ev) >= 0 AND length(ts) >= 0 AND length(sess) >= 0
)
ARRAY JOIN counted AS e
GROUP BY event
ORDER BY events DESC, event