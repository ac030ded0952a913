SELECT
    channel_by_sess[arrival] AS channel,
    campaign_by_sess[arrival] AS campaign,
    count(), countIf(has(k1, 1)), sum(arraySum(conversion_value)), sum(length(conversion_at)), sum(toUInt64(has(k0, 1)))
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
        arrayMap((x, a) -> toUInt8(bitTest(x, 1) AND a = 1), m0, act) AS k1,
        arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k1)), k1) AS f1,
        k1 AS c1,
        arrayMap((x, a) -> toUInt8(bitTest(x, 0) AND a = 1), m0, act) AS k0,
        arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k0)), k0) AS f0,
        k0 AS c0,
        arrayFilter((c, i, f) -> i = f, tupleElement(ev, 11), idx, sess_first) AS channel_by_sess,
        arrayFilter((c, i, f) -> i = f, tupleElement(ev, 12), idx, sess_first) AS campaign_by_sess,
        arrayFilter((t, c) -> c = 1, ts, c1) AS conversion_at,
        arrayFilter((s, c) -> c = 1, sess, c1) AS conversion_session,
        arrayFilter((v, c) -> c = 1, tupleElement(ev, 10), c1) AS conversion_value,
        sess[indexOf(act, 1)] AS arrival
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
                    arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(1), toUInt64(0)), if(name = 'purchase', toUInt64(2), toUInt64(0))), toUInt64(0), toUInt8(timestamp >= 1793577600000), toUInt8(1), intDiv(timestamp, 86400000), if(prop_kinds[indexOf(prop_keys, 'revenue')] != 0 AND NOT isNaN(prop_numbers[indexOf(prop_keys, 'revenue')]), prop_numbers[indexOf(prop_keys, 'revenue')], revenue), channel, campaign))) AS arrived
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
GROUP BY channel, campaign
ORDER BY channel, campaign

SELECT
    channel, campaign, sum(w0), sum(w0 * value), sum(w1), sum(w1 * value), sum(w2), sum(w2 * value), sum(w3), sum(w3 * value), sum(w4), sum(w4 * value), sum(slot_assisted), sum(channel_assisted)
FROM (
    SELECT
        *,
        arrayMap(i -> toFloat64(i = 1), positions) AS weights0,
        arrayMap(i -> toFloat64(i = last_non_direct), positions) AS weights1,
        arrayMap(i -> 1 / n, positions) AS weights2,
        arrayMap(r -> r / arraySum(raw_decay), raw_decay) AS weights3,
        arrayMap(i -> multiIf(n = 1, toFloat64(1), n = 2, 0.5, i = 1 OR i = n, 0.4, 0.2 / (n - 2)), positions) AS weights4
    FROM (
        SELECT
            value,
            toUInt64(if(arrayFirstIndex(x -> x >= at - 604800000, start_by_sess) = 0, session,
                least(arrayFirstIndex(x -> x >= at - 604800000, start_by_sess), session))) AS first_touch,
            session - first_touch + 1 AS n,
            arrayEnumerate(arraySlice(start_by_sess, first_touch, n)) AS positions,
            arraySlice(start_by_sess, first_touch, n) AS starts,
            arraySlice(channel_by_sess, first_touch, n) AS channels,
            arraySlice(campaign_by_sess, first_touch, n) AS campaigns,
            if(arrayExists(c -> c != 0, channels), n + 1 - indexOf(arrayReverse(arrayMap(c -> c != 0, channels)), 1), n)
                AS last_non_direct,
            arrayMap(s -> pow(2, -greatest(at - s, 0) / 604800000), starts) AS raw_decay,
            arrayMap(i -> toUInt8(i != last_non_direct), positions) AS assisting,
            arrayMap((a, u) -> toUInt8(a = 1 AND u = 1), assisting, arrayEnumerateUniq(assisting, channels, campaigns)) AS slot_first,
            arrayMap((a, u) -> toUInt8(a = 1 AND u = 1), assisting, arrayEnumerateUniq(assisting, channels)) AS channel_first
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
                    arrayMap((x, a) -> toUInt8(bitTest(x, 1) AND a = 1), m0, act) AS k1,
                    arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k1)), k1) AS f1,
                    k1 AS c1,
                    arrayMap((x, a) -> toUInt8(bitTest(x, 0) AND a = 1), m0, act) AS k0,
                    arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k0)), k0) AS f0,
                    k0 AS c0,
                    arrayFilter((c, i, f) -> i = f, tupleElement(ev, 11), idx, sess_first) AS channel_by_sess,
                    arrayFilter((c, i, f) -> i = f, tupleElement(ev, 12), idx, sess_first) AS campaign_by_sess,
                    arrayFilter((t, c) -> c = 1, ts, c1) AS conversion_at,
                    arrayFilter((s, c) -> c = 1, sess, c1) AS conversion_session,
                    arrayFilter((v, c) -> c = 1, tupleElement(ev, 10), c1) AS conversion_value,
                    sess[indexOf(act, 1)] AS arrival
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
                                arraySort(x -> tupleElement(x, 2), groupArray((timestamp, seq, key, bot, bitOr(if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt64(1), toUInt64(0)), if(name = 'purchase', toUInt64(2), toUInt64(0))), toUInt64(0), toUInt8(timestamp >= 1793577600000), toUInt8(1), intDiv(timestamp, 86400000), if(prop_kinds[indexOf(prop_keys, 'revenue')] != 0 AND NOT isNaN(prop_numbers[indexOf(prop_keys, 'revenue')]), prop_numbers[indexOf(prop_keys, 'revenue')], revenue), channel, campaign))) AS arrived
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
        ARRAY JOIN conversion_at AS at, conversion_session AS session, conversion_value AS value
        WHERE length(start_by_sess) >= 0 AND length(channel_by_sess) >= 0 AND length(campaign_by_sess) >= 0
    )
    WHERE n > 0 AND last_non_direct > 0 AND length(positions) >= 0 AND length(raw_decay) >= 0
)
ARRAY JOIN channels AS channel, campaigns AS campaign, weights0 AS w0, weights1 AS w1, weights2 AS w2, weights3 AS w3, weights4 AS w4,
    slot_first AS slot_assisted, channel_first AS channel_assisted
GROUP BY channel, campaign
ORDER BY channel, campaign