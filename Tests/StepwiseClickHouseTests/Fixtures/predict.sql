SELECT
    kind, a, toString(b), persons, converted, length(s), arrayMap(r -> s[r + 1], [toInt64(floor((toInt64(length(s)) - 1) * 0.5)), least(toInt64(floor((toInt64(length(s)) - 1) * 0.5)) + 1, toInt64(length(s)) - 1), toInt64(floor((toInt64(length(s)) - 1) * 0.9)), least(toInt64(floor((toInt64(length(s)) - 1) * 0.9)) + 1, toInt64(length(s)) - 1)])
FROM (
    SELECT
        tupleElement(r, 1) AS kind,
        tupleElement(r, 2) AS a,
        tupleElement(r, 3) AS b,
        count() AS persons,
        sum(tupleElement(r, 4)) AS converted,
        arraySort(groupArrayIf(tupleElement(r, 5), kind = 1)) AS s
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
            arrayMap((x, a) -> toUInt8(bitTest(x, 2) AND a = 1), m0, act) AS k2,
            arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k2)), k2) AS f2,
            k2 AS c2,
            arrayMap((x, a) -> toUInt8(bitTest(x, 0) AND a = 1), m0, act) AS k0,
            arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k0)), k0) AS f0,
            arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayCumSum(k0), k0) AS c0,
            arrayMap((x, a, s, g) -> toUInt8(bitTest(x, 1) AND a = 1 AND s > 1 AND g <= 604800000), m0, act, sess, gap) AS k1,
            arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k1)), k1) AS f1,
            k1 AS c1,
            if(has(k2, 1), ts[indexOf(k2, 1)], toInt64(9223372036854775807)) AS macro_at,
            if(has(k0, 1), ts[indexOf(k0, 1)], toInt64(9223372036854775807)) < macro_at AS did0,
            if(has(k1, 1), ts[indexOf(k1, 1)], toInt64(9223372036854775807)) < macro_at AS did1,
            bitOr(if(did0, toUInt64(1), toUInt64(0)), if(did1, toUInt64(2), toUInt64(0))) AS pattern,
            toUInt64(ts[1]) + toUInt64('11400714819323198485') AS mix1,
            bitXor(mix1, bitShiftRight(mix1, 30)) * toUInt64('13787848793156543929') AS mix2,
            bitXor(mix2, bitShiftRight(mix2, 27)) * toUInt64('10723151780598845931') AS mix3,
            bitXor(mix3, bitShiftRight(mix3, 31)) % 5 AS fold,
            arrayConcat([(toUInt8(0), fold, pattern, toUInt8(macro_at != toInt64(9223372036854775807)), toInt64(0))],
                arrayFilter(x -> did0 AND macro_at != toInt64(9223372036854775807), [(toUInt8(1), toUInt64(0), toUInt64(0), toUInt8(0), toInt64(intDiv(macro_at - ts[indexOf(k0, 1)], 1000)))]),
                arrayFilter(x -> did1 AND macro_at != toInt64(9223372036854775807), [(toUInt8(1), toUInt64(1), toUInt64(0), toUInt8(0), toInt64(intDiv(macro_at - ts[indexOf(k1, 1)], 1000)))])) AS per_person
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
                        arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(bitOr(if(name = 'signup', toUInt64(1), toUInt64(0)), if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(2), toUInt64(0))), if(name = 'purchase', toUInt64(4), toUInt64(0))), toUInt64(0), toUInt8(timestamp >= 1797408000001 AND timestamp < 1800000000001), toUInt8(1), intDiv(timestamp, 86400000)))) AS arrived
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
    GROUP BY kind, a, b
)
ORDER BY kind, a, b