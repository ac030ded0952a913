SELECT if(series_index = 4294967294, concat('e:', event), concat('d:', toString(series_index))) AS series, toInt64(toUInt32(toDate(toDateTime(intDiv(hour * 3600000, 1000)), 'Europe/Berlin'))) AS bucket, count() AS events
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
WHERE (ranked = 1 OR key_hash NOT IN (SELECT h FROM (SELECT cityHash64(key) AS h FROM stepwise.events WHERE site = 'shop.example' GROUP BY h HAVING count() > 1))) AND bot = 0 AND hour * 3600000 >= 1793574000000 AND hour * 3600000 < 1794182400000 AND device = 2
GROUP BY series_index, if(series_index = 4294967294, name, '') AS event, bucket
ORDER BY series, bucket