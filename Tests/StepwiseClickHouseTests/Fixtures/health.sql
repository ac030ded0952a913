SELECT intDiv(timestamp, 3600000) AS hour, count() AS events, countIf(bot != 0) AS bot_events
FROM (
    SELECT *
    FROM stepwise.events
    WHERE site = 'shop.example'
    ORDER BY seq
    LIMIT 1 BY key
)
GROUP BY hour
ORDER BY hour

SELECT series, hour, device, browser, count() AS events
FROM (
    SELECT intDiv(timestamp, 3600000) AS hour, arrayFilter(s -> s != '', [concat('e:', name), if(name = 'signup' AND ((prop_kinds[indexOf(prop_keys, 'plan')] IN (1, 3) AND prop_values[indexOf(prop_keys, 'plan')] = 'pro')), 'd:0', ''), if(name = 'pageview' AND match(path, '(?s)\\A/pricing\\z'), 'd:1', '')]) AS all_series, bot, device, browser
    FROM (
        SELECT *
        FROM stepwise.events
        WHERE site = 'shop.example'
        ORDER BY seq
        LIMIT 1 BY key
    )
)
ARRAY JOIN all_series AS series
WHERE bot = 0 AND hour * 3600000 >= 1790015400000 AND hour * 3600000 < 1793644200000
GROUP BY series, hour, device, browser
ORDER BY series, hour, device, browser

SELECT name, prop_key, prop_kind, day >= 20753 AS recent, count() AS events, min(day) AS since
FROM (
    SELECT name, prop_keys, prop_kinds, intDiv(timestamp, 86400000) AS day
    FROM (
        SELECT *
        FROM stepwise.events
        WHERE site = 'shop.example'
        ORDER BY seq
        LIMIT 1 BY key
    )
)
ARRAY JOIN prop_keys AS prop_key, prop_kinds AS prop_kind
WHERE day >= 20725
GROUP BY name, prop_key, prop_kind, recent
ORDER BY name, prop_key, prop_kind, recent

SELECT day, code, toUInt64(sum(n)) AS count
FROM (
    SELECT toString(toDate(toDateTime(intDiv(tupleElement(r, 2), 1000)), 'UTC')) AS day, if(tupleElement(r, 1) = first, 'accepted', 'duplicate') AS code, toUInt64(1) AS n
    FROM (
        SELECT min(seq) AS first, groupArray((seq, received)) AS rows
        FROM stepwise.events
        WHERE site = 'shop.example' AND key IN (SELECT key FROM stepwise.events WHERE site = 'shop.example' AND received >= 1792368000000)
        GROUP BY key
    )
    ARRAY JOIN rows AS r
    WHERE tupleElement(r, 2) >= 1792368000000
    UNION ALL
    SELECT day, code, count AS n
    FROM stepwise.ingest_tallies
    WHERE site = 'shop.example' AND day >= '2026-10-19'
)
GROUP BY day, code
ORDER BY day, code