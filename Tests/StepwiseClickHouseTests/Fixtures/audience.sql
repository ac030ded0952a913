SELECT countIf(member0)
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
        arraySum(arraySort((x, k) -> k, arrayFilter((x, c, t) -> c = 1 AND t < 1800000000000, arrayMap(t -> toFloat64(1) * exp2(-(1800000000000 - t) / 2592000000), ts), c0, ts), arrayFilter((k, c, t) -> c = 1 AND t < 1800000000000, arrayMap(i -> toUInt64(i * 3 + 0), idx), c0, ts))) AS score,
        ts[length(act) + 1 - indexOf(arrayReverse(act), 1)] AS last_active,
        arrayExists((k, t) -> k = 1 AND t >= 1797408000000, k0, ts) AND NOT arrayExists((k, t) -> k = 1 AND t >= 1797408000000, k1, ts) AND score >= reinterpretAsFloat64(unhex('000000000000e83f')) AS member0
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
                    arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(1), toUInt64(0)), if(name = 'purchase', toUInt64(2), toUInt64(0))), toUInt64(0), toUInt8(timestamp < 1800000000000), toUInt8(1), intDiv(timestamp, 86400000)))) AS arrived
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

SELECT person, score, last_active
FROM (
    SELECT
        person,
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
        arraySum(arraySort((x, k) -> k, arrayFilter((x, c, t) -> c = 1 AND t < 1800000000000, arrayMap(t -> toFloat64(1) * exp2(-(1800000000000 - t) / 2592000000), ts), c0, ts), arrayFilter((k, c, t) -> c = 1 AND t < 1800000000000, arrayMap(i -> toUInt64(i * 3 + 0), idx), c0, ts))) AS score,
        ts[length(act) + 1 - indexOf(arrayReverse(act), 1)] AS last_active,
        arrayExists((k, t) -> k = 1 AND t >= 1797408000000, k0, ts) AND NOT arrayExists((k, t) -> k = 1 AND t >= 1797408000000, k1, ts) AND score >= reinterpretAsFloat64(unhex('000000000000e83f')) AS member0
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
                    arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(1), toUInt64(0)), if(name = 'purchase', toUInt64(2), toUInt64(0))), toUInt64(0), toUInt8(timestamp < 1800000000000), toUInt8(1), intDiv(timestamp, 86400000)))) AS arrived
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
WHERE has(act, 1) AND member0
ORDER BY score DESC, person
LIMIT 50