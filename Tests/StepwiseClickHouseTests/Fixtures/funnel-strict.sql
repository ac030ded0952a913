SELECT
    tupleElement(g, 1) AS step,
    if(step = 0, level, 0) AS reached,
    if(step = 0, value, '') AS breakdown,
    if(step = 0, entry_day, 0) AS day,
    tupleElement(g, 2) AS seconds,
    count() AS units
FROM (
    SELECT
        tupleElement(r, 1) AS level,
        tupleElement(r, 2) AS value,
        tupleElement(r, 3) AS entry_day,
        tupleElement(r, 4) AS gaps
    FROM (
        SELECT
            arraySort(i -> (ts[i], if(tupleElement(ev[i], 5) = 0, 18446744073709551615, bitAnd(tupleElement(ev[i], 5), bitNot(tupleElement(ev[i], 5)) + 1)), tupleElement(ev[i], 5), tupleElement(ev[i], 6), i), arrayFilter(i -> tupleElement(ev[i], 7) = 1 AND tupleElement(ev[sess_first[i]], 8) = 1, idx)) AS hits,
            arrayMap(i -> ts[i], hits) AS ht,
            arrayMap(i -> tupleElement(ev[i], 5), hits) AS hs,
            arrayMap(i -> tupleElement(ev[i], 6), hits) AS hx,
            arrayMap(i -> sess[i], hits) AS hu,
            arrayEnumerate(hits) AS hp,
            arrayFilter(p -> bitTest(hs[p], 0), hp) AS entries,
            arrayMap((e, c) -> if(c = 0 OR c + 1 > length(hp), 0, if(bitTest(hs[c + 1], 1) AND ht[c + 1] - ht[e] <= 3600000 AND hu[c + 1] = hu[e], c + 1, 0)), entries, entries) AS at2,
            arrayMap((e, c) -> if(c = 0 OR c + 1 > length(hp), 0, if(bitTest(hs[c + 1], 2) AND ht[c + 1] - ht[e] <= 3600000 AND hu[c + 1] = hu[e], c + 1, 0)), entries, at2) AS at3,
            arrayMap((c2, c3) -> 1 + (c2 != 0) + (c3 != 0), at2, at3) AS levels,
            arrayMap((e, c2, c3) -> arrayExists((m, t, u, j) -> j > e AND u = hu[e] AND t - ht[e] <= 3600000 AND j <= if(c3 != 0, c3, if(c2 != 0, c2, e)) + 1 AND ((bitTest(m, 0) AND (1 + (c2 != 0 AND c2 < j) + (c3 != 0 AND c3 < j)) > 1 AND (1 + (c2 != 0 AND c2 < j) + (c3 != 0 AND c3 < j)) <= 2 AND t > ht[c2])), hx, ht, hu, hp), entries, at2, at3) AS voided,
            arrayMap((e, c2, c3) -> [ht[e], ht[c2], ht[c3]], entries, at2, at3) AS times,
            arrayDistinct(arrayMap(e -> hu[e], entries)) AS units,
            arrayMap(u -> arrayReduce('max', arrayFilter((l, v, e) -> v = 0 AND hu[e] = u, levels, voided, entries)), units) AS unit_levels,
            arrayFilter(b -> b != 0, arrayMap((u, m) -> arrayFirstIndex((l, v, e) -> v = 0 AND hu[e] = u AND l = m, levels, voided, entries), units, unit_levels)) AS best,
            arrayMap(b -> (levels[b], tupleElement(ev[sess_first[hits[entries[b]]]], 9), intDiv(ht[entries[b]], 86400000), arrayMap(j -> intDiv(times[b][j + 2] - times[b][j + 1], 1000), range(toUInt64(levels[b] - 1)))), best) AS results
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
                        arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(bitOr(if(name = 'view', toUInt64(1), toUInt64(0)), if(name = 'cart', toUInt64(2), toUInt64(0))), if(name = 'buy', toUInt64(4), toUInt64(0))), if(name = 'refund', toUInt64(1), toUInt64(0)), toUInt8(device = 2), toUInt8(1), toString(channel)))) AS arrived
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
        WHERE length(ev) >= 0 AND length(ts) >= 0 AND length(sess) >= 0 AND length(sess_first) >= 0
    )
    ARRAY JOIN results AS r
)
ARRAY JOIN arrayConcat([(toUInt64(0), toInt64(0))], arrayMap((s, k) -> (toUInt64(k), s), gaps, arrayEnumerate(gaps))) AS g
GROUP BY step, reached, breakdown, day, seconds
ORDER BY step, reached, breakdown, day, seconds