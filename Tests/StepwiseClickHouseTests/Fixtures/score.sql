SELECT
    persons, length(s), warm_from, hot_from,
    arrayCount(x -> x >= warm_from, s), arrayCount(x -> x >= hot_from, s),
    highest, arrayMap(k -> countEqual(bins, k), range(10)),
    ranked, converted, wins
FROM (
    SELECT
        persons, s, ranked, converted,
        if(empty(s), toFloat64(0), s[toUInt64(floor(((length(s) - 1) * 0.5))) + 1] + (((length(s) - 1) * 0.5) - floor(((length(s) - 1) * 0.5))) * (s[least(toUInt64(floor(((length(s) - 1) * 0.5))) + 1, length(s) - 1) + 1] - s[toUInt64(floor(((length(s) - 1) * 0.5))) + 1])) AS warm_from,
        if(empty(s), toFloat64(0), s[toUInt64(floor(((length(s) - 1) * 0.9))) + 1] + (((length(s) - 1) * 0.9) - floor(((length(s) - 1) * 0.9))) * (s[least(toUInt64(floor(((length(s) - 1) * 0.9))) + 1, length(s) - 1) + 1] - s[toUInt64(floor(((length(s) - 1) * 0.9))) + 1])) AS hot_from,
        s[length(s)] AS highest,
        arrayMap(x -> least(toUInt64(floor(x / (highest / 10))), 9), s) AS bins,
        arraySum(arrayMap((p, n, below) -> p * (below - n + 0.5 * n), positives, negatives, arrayCumSum(negatives))) AS wins
    FROM (
        SELECT
            sumIf(n, kind = 0) AS persons,
            groupArrayIf(s, kind = 0)[1] AS s,
            sumIf(n, kind = 1) AS ranked,
            sumIf(p, kind = 1) AS converted,
            arraySort((x, k) -> k, groupArrayIf(toFloat64(p), kind = 1), groupArrayIf(key, kind = 1)) AS positives,
            arraySort((x, k) -> k, groupArrayIf(toFloat64(n - p), kind = 1), groupArrayIf(key, kind = 1)) AS negatives
        FROM (
            SELECT
                tupleElement(r, 1) AS kind,
                tupleElement(r, 2) AS key,
                count() AS n,
                countIf(tupleElement(r, 3) = 1) AS p,
                arraySort(groupArrayIf(score, kind = 0 AND score > 0)) AS s
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
                    f0 AS c0,
                    arrayMap((x, a) -> toUInt8(bitTest(x, 1) AND a = 1), m0, act) AS k1,
                    arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k1)), k1) AS f1,
                    k1 AS c1,
                    arrayMap((x, a) -> toUInt8(bitTest(x, 2) AND a = 1), m0, act) AS k2,
                    arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k2)), k2) AS f2,
                    k2 AS c2,
                    arraySum(arraySort((x, k) -> k, arrayConcat(arrayFilter((x, c, t) -> c = 1 AND t < 1800000000000, arrayMap(t -> reinterpretAsFloat64(unhex('0000000000000440')) * exp2(-(1800000000000 - t) / 86400000), ts), c0, ts), arrayFilter((x, c, t) -> c = 1 AND t < 1800000000000, arrayMap((t, v) -> v * exp2(-(1800000000000 - t) / 86400000), ts, tupleElement(ev, 11)), c1, ts)), arrayConcat(arrayFilter((k, c, t) -> c = 1 AND t < 1800000000000, arrayMap(i -> toUInt64(i * 4 + 0), idx), c0, ts), arrayFilter((k, c, t) -> c = 1 AND t < 1800000000000, arrayMap(i -> toUInt64(i * 4 + 1), idx), c1, ts)))) AS score,
                    arraySum(arraySort((x, k) -> k, arrayConcat(arrayFilter((x, c, t) -> c = 1 AND t < 1799395200000, arrayMap(t -> reinterpretAsFloat64(unhex('0000000000000440')) * exp2(-(1799395200000 - t) / 86400000), ts), c0, ts), arrayFilter((x, c, t) -> c = 1 AND t < 1799395200000, arrayMap((t, v) -> v * exp2(-(1799395200000 - t) / 86400000), ts, tupleElement(ev, 11)), c1, ts)), arrayConcat(arrayFilter((k, c, t) -> c = 1 AND t < 1799395200000, arrayMap(i -> toUInt64(i * 4 + 0), idx), c0, ts), arrayFilter((k, c, t) -> c = 1 AND t < 1799395200000, arrayMap(i -> toUInt64(i * 4 + 1), idx), c1, ts)))) AS cut_score,
                    ts[length(act) + 1 - indexOf(arrayReverse(act), 1)] AS last_active,
                    if(has(k2, 1), ts[indexOf(k2, 1)], toInt64(9223372036854775807)) AS macro_at,
                    ts[indexOf(act, 1)] < 1799395200000 AND macro_at >= 1799395200000 AS sample,
                    macro_at != toInt64(9223372036854775807) AS converted,
                    arrayConcat([(toUInt8(0), toFloat64(0), toUInt8(0))], arrayFilter(x -> sample, [(toUInt8(1), cut_score, toUInt8(converted))])) AS per_person
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
                                arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(bitOr(if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(1), toUInt64(0)), if(name = 'quote', toUInt64(2), toUInt64(0))), if(name = 'purchase', toUInt64(4), toUInt64(0))), toUInt64(0), toUInt8(timestamp < 1800000000000), toUInt8(1), intDiv(timestamp, 86400000), toFloat64(2.5), if(prop_kinds[indexOf(prop_keys, 'amount')] != 0 AND NOT isNaN(prop_numbers[indexOf(prop_keys, 'amount')]), prop_numbers[indexOf(prop_keys, 'amount')], toFloat64(0))))) AS arrived
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
            ARRAY JOIN per_person AS r
            WHERE has(act, 1)
            GROUP BY kind, key
        )
    )
)
WHERE length(s) >= 0 AND length(bins) >= 0

SELECT person, score, last_active, [arraySum(c0), arraySum(c1)]
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
        f0 AS c0,
        arrayMap((x, a) -> toUInt8(bitTest(x, 1) AND a = 1), m0, act) AS k1,
        arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k1)), k1) AS f1,
        k1 AS c1,
        arrayMap((x, a) -> toUInt8(bitTest(x, 2) AND a = 1), m0, act) AS k2,
        arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k2)), k2) AS f2,
        k2 AS c2,
        arraySum(arraySort((x, k) -> k, arrayConcat(arrayFilter((x, c, t) -> c = 1 AND t < 1800000000000, arrayMap(t -> reinterpretAsFloat64(unhex('0000000000000440')) * exp2(-(1800000000000 - t) / 86400000), ts), c0, ts), arrayFilter((x, c, t) -> c = 1 AND t < 1800000000000, arrayMap((t, v) -> v * exp2(-(1800000000000 - t) / 86400000), ts, tupleElement(ev, 11)), c1, ts)), arrayConcat(arrayFilter((k, c, t) -> c = 1 AND t < 1800000000000, arrayMap(i -> toUInt64(i * 4 + 0), idx), c0, ts), arrayFilter((k, c, t) -> c = 1 AND t < 1800000000000, arrayMap(i -> toUInt64(i * 4 + 1), idx), c1, ts)))) AS score,
        arraySum(arraySort((x, k) -> k, arrayConcat(arrayFilter((x, c, t) -> c = 1 AND t < 1799395200000, arrayMap(t -> reinterpretAsFloat64(unhex('0000000000000440')) * exp2(-(1799395200000 - t) / 86400000), ts), c0, ts), arrayFilter((x, c, t) -> c = 1 AND t < 1799395200000, arrayMap((t, v) -> v * exp2(-(1799395200000 - t) / 86400000), ts, tupleElement(ev, 11)), c1, ts)), arrayConcat(arrayFilter((k, c, t) -> c = 1 AND t < 1799395200000, arrayMap(i -> toUInt64(i * 4 + 0), idx), c0, ts), arrayFilter((k, c, t) -> c = 1 AND t < 1799395200000, arrayMap(i -> toUInt64(i * 4 + 1), idx), c1, ts)))) AS cut_score,
        ts[length(act) + 1 - indexOf(arrayReverse(act), 1)] AS last_active,
        if(has(k2, 1), ts[indexOf(k2, 1)], toInt64(9223372036854775807)) AS macro_at,
        ts[indexOf(act, 1)] < 1799395200000 AND macro_at >= 1799395200000 AS sample,
        macro_at != toInt64(9223372036854775807) AS converted
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
                    arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(bitOr(if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(1), toUInt64(0)), if(name = 'quote', toUInt64(2), toUInt64(0))), if(name = 'purchase', toUInt64(4), toUInt64(0))), toUInt64(0), toUInt8(timestamp < 1800000000000), toUInt8(1), intDiv(timestamp, 86400000), toFloat64(2.5), if(prop_kinds[indexOf(prop_keys, 'amount')] != 0 AND NOT isNaN(prop_numbers[indexOf(prop_keys, 'amount')]), prop_numbers[indexOf(prop_keys, 'amount')], toFloat64(0))))) AS arrived
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
WHERE has(act, 1) AND score > 0
ORDER BY score DESC, person
LIMIT 10