SELECT series, toInt64(toUInt32(toDate(toDateTime(intDiv(hour * 3600000, 1000)), 'Europe/Berlin'))) AS bucket, count() AS events
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
WHERE bot = 0 AND hour * 3600000 >= 1793574000000 AND hour * 3600000 < 1794182400000 AND device = 2
GROUP BY series, bucket
ORDER BY series, bucket