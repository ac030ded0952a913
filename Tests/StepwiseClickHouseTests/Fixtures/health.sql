SELECT intDiv(timestamp, 3600000) AS hour, count() AS events, countIf(bot != 0) AS bot_events
FROM (
    SELECT timestamp, bot, cityHash64(key) AS key_hash, 0 AS ranked
    FROM stepwise.events
    WHERE site = 'shop.example'
    UNION ALL
    SELECT timestamp, bot, 0, 1
    FROM (
        SELECT *
        FROM stepwise.events
        WHERE site = 'shop.example' AND cityHash64(key) IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))
        ORDER BY seq
        LIMIT 1 BY key
    )
)
WHERE (ranked = 1 OR key_hash NOT IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1)))
GROUP BY hour
ORDER BY hour

SELECT if(series_index = 4294967294, concat('e:', event), concat('d:', toString(series_index))) AS series, hour, device, browser, count() AS events
FROM (
    SELECT intDiv(timestamp, 3600000) AS hour, arrayFilter(s -> s != 4294967295, [toUInt32(4294967294), if(name = 'signup' AND ((prop_kinds[indexOf(prop_keys, 'plan')] IN (1, 3) AND prop_values[indexOf(prop_keys, 'plan')] = 'pro')), toUInt32(0), toUInt32(4294967295)), if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt32(1), toUInt32(4294967295))]) AS all_series, name, bot, device, browser, cityHash64(key) AS key_hash, 0 AS ranked
    FROM stepwise.events
    WHERE site = 'shop.example'
    UNION ALL
    SELECT intDiv(timestamp, 3600000) AS hour, arrayFilter(s -> s != 4294967295, [toUInt32(4294967294), if(name = 'signup' AND ((prop_kinds[indexOf(prop_keys, 'plan')] IN (1, 3) AND prop_values[indexOf(prop_keys, 'plan')] = 'pro')), toUInt32(0), toUInt32(4294967295)), if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), toUInt32(1), toUInt32(4294967295))]) AS all_series, name, bot, device, browser, 0, 1
    FROM (
        SELECT *
        FROM stepwise.events
        WHERE site = 'shop.example' AND cityHash64(key) IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))
        ORDER BY seq
        LIMIT 1 BY key
    )
)
ARRAY JOIN all_series AS series_index
WHERE (ranked = 1 OR key_hash NOT IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))) AND bot = 0 AND hour * 3600000 >= 1790015400000 AND hour * 3600000 < 1793644200000
GROUP BY series_index, if(series_index = 4294967294, name, '') AS event, hour, device, browser
ORDER BY series, hour, device, browser

SELECT name, prop_key, prop_kind, day >= 20753 AS recent, count() AS events, min(day) AS since
FROM (
    SELECT name, prop_keys, prop_kinds, intDiv(timestamp, 86400000) AS day, cityHash64(key) AS key_hash, 0 AS ranked
    FROM stepwise.events
    WHERE site = 'shop.example'
    UNION ALL
    SELECT name, prop_keys, prop_kinds, intDiv(timestamp, 86400000) AS day, 0, 1
    FROM (
        SELECT *
        FROM stepwise.events
        WHERE site = 'shop.example' AND cityHash64(key) IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))
        ORDER BY seq
        LIMIT 1 BY key
    )
)
ARRAY JOIN prop_keys AS prop_key, prop_kinds AS prop_kind
WHERE (ranked = 1 OR key_hash NOT IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))) AND day >= 20725
GROUP BY name, prop_key, prop_kind, recent
ORDER BY name, prop_key, prop_kind, recent

SELECT day, code, toUInt64(sum(n)) AS count
FROM (
    SELECT toString(toDate(toDateTime(intDiv(received, 1000)), 'UTC')) AS day, 'accepted' AS code, toUInt64(1) AS n, cityHash64(key) AS key_hash, 0 AS ranked
    FROM stepwise.events
    WHERE site = 'shop.example' AND received >= 1792368000000
    UNION ALL
    SELECT toString(toDate(toDateTime(intDiv(tupleElement(r, 2), 1000)), 'UTC')), if(tupleElement(r, 1) = first, 'accepted', 'duplicate'), toUInt64(1), 0, 1
    FROM (
        SELECT min(seq) AS first, groupArray((seq, received)) AS rows
        FROM stepwise.events
        WHERE site = 'shop.example' AND cityHash64(key) IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))
        GROUP BY key
    )
    ARRAY JOIN rows AS r
    WHERE tupleElement(r, 2) >= 1792368000000
    UNION ALL
    SELECT day, code, count, 0, 1
    FROM stepwise.ingest_tallies
    WHERE site = 'shop.example' AND day >= '2026-10-19'
)
WHERE (ranked = 1 OR key_hash NOT IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1)))
GROUP BY day, code
ORDER BY day, code