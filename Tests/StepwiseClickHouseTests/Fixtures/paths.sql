SELECT
    arraySlice(steps, -4) AS path,
    length(steps) > 4 AS truncated,
    count() AS persons,
    countIf(macro_at != 0) AS converters
FROM (
    SELECT
        tupleElement(ev, 5) AS m0,
        tupleElement(ev, 6) AS am0,
        arrayFilter((v, i, f) -> i = f, tupleElement(ev, 8), idx, sess_first) AS kept_by_sess,
        arrayFilter((g, i, f) -> i = f, arrayDifference(ts), idx, sess_first) AS gap_by_sess,
        arrayFilter((t, i, f) -> i = f, ts, idx, sess_first) AS start_by_sess,
        arrayMap((k, s) -> toUInt8(k = 1 AND kept_by_sess[s] = 1), tupleElement(ev, 7), sess) AS act,
        tupleElement(ev, 9) AS bucket,
        arrayMap((t, s) -> t - start_by_sess[s], ts, sess) AS since_start,
        arrayMap(s -> gap_by_sess[s], sess) AS gap,
        arrayMap((x, a) -> toUInt8(bitTest(x, 0) AND a = 1), m0, act) AS k0,
        arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k0)), k0) AS f0,
        k0 AS c0,
        arrayMap((x, a) -> toUInt8(bitTest(x, 1) AND a = 1), m0, act) AS k1,
        arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k1)), k1) AS f1,
        k1 AS c1,
        arrayMap((x, a) -> toUInt8(bitTest(x, 2) AND a = 1), m0, act) AS k2,
        arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k2)), k2) AS f2,
        k2 AS c2,
        arraySort(arrayConcat(arrayFilter((c, k) -> k = 1, arrayMap(i -> toUInt64(i * 4 + 0), idx), k0), arrayFilter((c, k) -> k = 1, arrayMap(i -> toUInt64(i * 4 + 1), idx), k1), arrayFilter((c, k) -> k = 1, arrayMap(i -> toUInt64(i * 4 + 2), idx), k2))) AS matches,
        arrayFirstIndex(c -> c % 4 = 2, matches) AS macro_at,
        arrayMap(c -> toUInt32(c % 4), if(macro_at = 0, matches, arraySlice(matches, 1, macro_at - 1))) AS before,
        arrayFilter((d, p) -> d != p, before, arraySlice(arrayPushFront(before, toUInt32(4)), 1, length(before))) AS steps
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
                    arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(bitOr(if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(1), toUInt64(0)), if(name = 'demo_request', toUInt64(2), toUInt64(0))), if(name = 'purchase', toUInt64(4), toUInt64(0))), toUInt64(0), toUInt8(timestamp >= 1797408000001 AND timestamp < 1800000000001), toUInt8(1), intDiv(timestamp, 86400000)))) AS arrived
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
    WHERE length(ev) >= 0 AND length(ts) >= 0 AND length(idx) >= 0 AND length(sess) >= 0 AND length(sess_first) >= 0
)
WHERE has(act, 1)
GROUP BY path, truncated
ORDER BY persons DESC, path