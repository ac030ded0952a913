SELECT
    d, persons, completions, sessions, value, audience, audience_completed,
    series_persons, series_completions, frequencies, first_event, last_event,
    length(first_visit), arrayMap(r -> first_visit[r + 1], [toInt64(floor((toInt64(length(first_visit)) - 1) * 0.5)), least(toInt64(floor((toInt64(length(first_visit)) - 1) * 0.5)) + 1, toInt64(length(first_visit)) - 1), toInt64(floor((toInt64(length(first_visit)) - 1) * 0.9)), least(toInt64(floor((toInt64(length(first_visit)) - 1) * 0.9)) + 1, toInt64(length(first_visit)) - 1)]),
    length(session_start), arrayMap(r -> session_start[r + 1], [toInt64(floor((toInt64(length(session_start)) - 1) * 0.5)), least(toInt64(floor((toInt64(length(session_start)) - 1) * 0.5)) + 1, toInt64(length(session_start)) - 1), toInt64(floor((toInt64(length(session_start)) - 1) * 0.9)), least(toInt64(floor((toInt64(length(session_start)) - 1) * 0.9)) + 1, toInt64(length(session_start)) - 1)]),
    length(last_match), arrayMap(r -> last_match[r + 1], [toInt64(floor((toInt64(length(last_match)) - 1) * 0.5)), least(toInt64(floor((toInt64(length(last_match)) - 1) * 0.5)) + 1, toInt64(length(last_match)) - 1), toInt64(floor((toInt64(length(last_match)) - 1) * 0.9)), least(toInt64(floor((toInt64(length(last_match)) - 1) * 0.9)) + 1, toInt64(length(last_match)) - 1)])
FROM (
    SELECT
        tupleElement(r, 1) AS d,
        countIf(tupleElement(r, 2) = 1) AS persons,
        sum(tupleElement(r, 4)) AS completions,
        sum(tupleElement(r, 5)) AS sessions,
        sum(tupleElement(r, 6)) AS value,
        countIf(tupleElement(r, 3) = 1) AS audience,
        countIf(tupleElement(r, 3) = 1 AND tupleElement(r, 2) = 1) AS audience_completed,
        sumMap(tupleElement(r, 9), arrayMap(b -> toUInt64(1), tupleElement(r, 9))) AS series_persons,
        sumMap(tupleElement(r, 10), arrayMap(b -> toUInt64(1), tupleElement(r, 10))) AS series_completions,
        sumMap([tupleElement(r, 4)], [toUInt64(tupleElement(r, 2))]) AS frequencies,
        min(tupleElement(r, 7)) AS first_event,
        -min(tupleElement(r, 8)) AS last_event,
        arraySort(groupArrayIf(tupleElement(r, 7), tupleElement(r, 2) = 1 AND d < 3)) AS first_visit,
        arraySort(groupArrayArray(tupleElement(r, 11))) AS session_start,
        arraySort(groupArrayIf(tupleElement(r, 8), tupleElement(r, 2) = 1 AND d < 3)) AS last_match
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
            arrayEnumerateUniq(arrayMap((s, x) -> if(bitTest(x, 1), s, 0), sess, m0)) AS nth1,
            arrayMap((x, a, n) -> toUInt8(bitTest(x, 1) AND a = 1 AND n = 2), m0, act, nth1) AS k1,
            arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k1)), k1) AS f1,
            k1 AS c1,
            arrayMap((x, a, s, g) -> toUInt8(bitTest(x, 2) AND a = 1 AND s > 1 AND g <= 86400000), m0, act, sess, gap) AS k2,
            arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k2)), k2) AS f2,
            arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayCumSum(k2), k2) AS c2,
            [(toUInt32(0), toUInt8(has(k0, 1)), toUInt8(0), toInt64(arraySum(c0)), toInt64(arraySum(f0)), toFloat64(0), toInt64(intDiv(ts[indexOf(k0, 1)] - ts[1], 1000)), toInt64(-ts[length(k0) + 1 - indexOf(arrayReverse(k0), 1)]), arrayDistinct(arrayFilter((b, k) -> k = 1, bucket, k0)), arrayFilter((b, c) -> c = 1, bucket, c0), arrayFilter((t, f) -> f = 1, since_start, f0)),
                (toUInt32(1), toUInt8(has(k1, 1)), toUInt8(arrayExists((x, a) -> a = 1 AND bitTest(x, 1), am0, act)), toInt64(arraySum(c1)), toInt64(arraySum(f1)), toFloat64(0), toInt64(intDiv(ts[indexOf(k1, 1)] - ts[1], 1000)), toInt64(-ts[length(k1) + 1 - indexOf(arrayReverse(k1), 1)]), arrayDistinct(arrayFilter((b, k) -> k = 1, bucket, k1)), arrayFilter((b, c) -> c = 1, bucket, c1), arrayFilter((t, f) -> f = 1, since_start, f1)),
                (toUInt32(2), toUInt8(has(k2, 1)), toUInt8(0), toInt64(arraySum(c2)), toInt64(arraySum(f2)), toFloat64(arraySum(arrayFilter((v, c) -> c = 1, tupleElement(ev, 10), c2))), toInt64(intDiv(ts[indexOf(k2, 1)] - ts[1], 1000)), toInt64(-ts[length(k2) + 1 - indexOf(arrayReverse(k2), 1)]), arrayDistinct(arrayFilter((b, k) -> k = 1, bucket, k2)), arrayFilter((b, c) -> c = 1, bucket, c2), arrayFilter((t, f) -> f = 1, since_start, f2)),
                (toUInt32(3), toUInt8(has(act, 1)), toUInt8(0), toInt64(0), toInt64(length(arrayDistinct(arrayFilter((s, a) -> a = 1, sess, act)))), toFloat64(0), toInt64(ts[1]), toInt64(-ts[length(ts)]), arrayDistinct(arrayFilter((b, a) -> a = 1, bucket, act)), emptyArrayInt64(), emptyArrayInt64()),
                (toUInt32(4), toUInt8(has(k0, 1)), toUInt8(0), toInt64(has(k0, 1) AND has(k1, 1)), toInt64(0), toFloat64(0), toInt64(0), toInt64(0), emptyArrayInt64(), emptyArrayInt64(), emptyArrayInt64()),
                (toUInt32(5), toUInt8(has(k1, 1)), toUInt8(0), toInt64(has(k1, 1) AND has(k2, 1)), toInt64(0), toFloat64(0), toInt64(0), toInt64(0), emptyArrayInt64(), emptyArrayInt64(), emptyArrayInt64())] AS per_definition
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
                        arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(bitOr(if(name = 'view', toUInt64(1), toUInt64(0)), if(name = 'cart', toUInt64(2), toUInt64(0))), if(name = 'buy', toUInt64(4), toUInt64(0))), if(name = 'view' AND match(path, '(?s)\\A/p.*\\z'), toUInt64(2), toUInt64(0)), toUInt8(timestamp >= 1000 AND timestamp < 2000 AND device = 2), toUInt8(channel = 0), intDiv(toInt64(toUInt32(toDate(toDateTime(intDiv(timestamp, 1000)), 'Europe/Berlin'))) + 3, 7), if(prop_kinds[indexOf(prop_keys, 'revenue')] != 0 AND NOT isNaN(prop_numbers[indexOf(prop_keys, 'revenue')]), prop_numbers[indexOf(prop_keys, 'revenue')], revenue)))) AS arrived
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
    ARRAY JOIN per_definition AS r
    WHERE tupleElement(r, 2) = 1 OR tupleElement(r, 3) = 1 OR d = 3
    GROUP BY d
)
ORDER BY d