-- Hand-written DuckDB script: the app marts straight from the landing files (the practical limit).
-- {utf8_dir} holds the CP932 certificate CSVs converted to UTF-8 and the .xlsx sheets saved as CSV
-- (DuckDB reads neither CP932 nor .xlsx offline); every other file is read where the department left it.
-- {seeds_dir} is the project's seeds/ (the ward calendar: business days).

create temp table channels (channel_code varchar, channel_name_ja varchar, channel_sort_order integer);
insert into channels values ('counter', '窓口', 1), ('kiosk', '自動交付機', 2),
    ('convenience_store', 'コンビニ交付', 3), ('post', '郵送', 4), ('online', 'オンライン', 5);

create temp table certificate_rows as
with files as (
    select * from read_csv('{utf8_dir}/certificates/*.csv', header = true, auto_detect = false,
        columns = {'交付日': 'varchar', '窓口': 'varchar', '証明書種別': 'varchar', '交付方法': 'varchar', '件数': 'varchar'})
),
normalised as (
    select
        trim(translate("交付日", '０１２３４５６７８９，．', '0123456789,.')) as date_text,
        translate("交付方法", '０１２３４５６７８９', '0123456789') as channel_ja,
        cast(cast(replace(translate("件数", '０１２３４５６７８９，．', '0123456789,.'), ',', '') as double) as bigint)
            as issued_count
    from files
),
parsed as (
    select
        case
            when regexp_matches(date_text, '^\d{4}-\d{2}-\d{2}') then cast(left(date_text, 10) as date)
            else make_date(
                (case when regexp_extract(date_text, '^(平成|令和|H|R)', 1) in ('平成', 'H') then 1988 else 2018 end)
                    + (case when regexp_extract(date_text, '^(?:平成|令和|H|R)(元|\d+)', 1) = '元' then 1
                            else cast(regexp_extract(date_text, '^(?:平成|令和|H|R)(\d+)', 1) as integer) end),
                cast(regexp_extract(date_text, '^(?:平成|令和|H|R)(?:元|\d+)[年.](\d+)', 1) as integer),
                cast(regexp_extract(date_text, '^(?:平成|令和|H|R)(?:元|\d+)[年.]\d+[月.](\d+)', 1) as integer))
        end as issued_date,
        channel_ja,
        issued_count
    from normalised
)
select
    cast(date_trunc('month', parsed.issued_date) as date) as fiscal_month_start_date,
    channels.channel_code,
    parsed.issued_count
from parsed
inner join channels on parsed.channel_ja = channels.channel_name_ja;

create temp table ref_certificate_channel_shift as
with channel_months as (
    select fiscal_month_start_date, channel_code, sum(issued_count) as issued_count
    from certificate_rows group by all
),
month_totals as (
    select fiscal_month_start_date, sum(issued_count) as total_issued_count from channel_months group by all
)
select
    month_totals.fiscal_month_start_date,
    channels.channel_code,
    cast(coalesce(channel_months.issued_count, 0) as bigint) as issued_count,
    cast(month_totals.total_issued_count as bigint) as total_issued_count,
    100.0 * coalesce(channel_months.issued_count, 0) / nullif(month_totals.total_issued_count, 0) as channel_share_pct
from month_totals
cross join channels
left join channel_months
    on channel_months.fiscal_month_start_date = month_totals.fiscal_month_start_date
    and channel_months.channel_code = channels.channel_code;

create temp table ref_web_access_monthly as
with views as (
    select "日付" as access_date, "デバイス" as device_type, "ページビュー数" as page_view_count
    from read_csv('{landing_dir}/web_access/*.csv', header = true, auto_detect = false,
        columns = {'日付': 'date', 'ページURL': 'varchar', 'ページタイトル': 'varchar', 'デバイス': 'varchar',
                   'ページビュー数': 'bigint'})
),
monthly as (
    select
        cast(date_trunc('month', access_date) as date) as fiscal_month_start_date,
        sum(page_view_count) as page_view_count,
        sum(page_view_count) filter (where device_type = 'pc') as pc_page_view_count,
        sum(page_view_count) filter (where device_type = 'smartphone') as smartphone_page_view_count,
        sum(page_view_count) filter (where device_type = 'tablet') as tablet_page_view_count
    from views group by all
)
select
    this_year.fiscal_month_start_date,
    cast(this_year.page_view_count as bigint) as page_view_count,
    cast(coalesce(this_year.pc_page_view_count, 0) as bigint) as pc_page_view_count,
    cast(coalesce(this_year.smartphone_page_view_count, 0) as bigint) as smartphone_page_view_count,
    cast(coalesce(this_year.tablet_page_view_count, 0) as bigint) as tablet_page_view_count,
    cast(sum(this_year.page_view_count) over (
        partition by year(this_year.fiscal_month_start_date - interval 3 month)
        order by this_year.fiscal_month_start_date) as bigint) as fiscal_ytd_page_view_count,
    cast(last_year.page_view_count as bigint) as previous_year_page_view_count
from monthly as this_year
left join monthly as last_year
    on last_year.fiscal_month_start_date = this_year.fiscal_month_start_date - interval 12 month;

create temp table gis_rows as
select
    cast("日時" as date) as event_date,
    "所属" as department_name_ja,
    "操作" as event_ja,
    "地図名" as map_name_ja
from read_csv('{landing_dir}/gis/*.csv', header = true, auto_detect = false,
    columns = {'日時': 'timestamp', '職員ID': 'varchar', '所属': 'varchar', '操作': 'varchar', '地図名': 'varchar'});

create temp table ref_gis_usage_monthly as
with business_days as (
    -- the ward's 開庁日 from the calendar seed, whether or not anyone used the GIS that day
    select cast(date_trunc('month', calendar_date) as date) as fiscal_month_start_date,
           count(*) filter (where is_business_day) as business_days
    from read_csv('{seeds_dir}/calendar_dates.csv', header = true, auto_detect = false,
        columns = {'calendar_date': 'date', 'fiscal_year': 'integer', 'day_of_week': 'integer', 'is_weekend': 'boolean',
                   'is_national_holiday': 'boolean', 'holiday_name_ja': 'varchar', 'is_new_year_closure': 'boolean',
                   'is_business_day': 'boolean'})
    group by all
),
department_months as (
    select
        cast(date_trunc('month', event_date) as date) as fiscal_month_start_date,
        department_name_ja,
        count(*) filter (where event_ja = 'ログイン') as login_count,
        count(*) filter (where event_ja = '地図表示') as map_open_count,
        count(distinct map_name_ja) as distinct_map_count
    from gis_rows group by all
)
select
    department_months.fiscal_month_start_date,
    department_months.department_name_ja,
    department_months.login_count,
    business_days.business_days,
    department_months.login_count / business_days.business_days as logins_per_business_day,
    department_months.map_open_count,
    department_months.distinct_map_count
from department_months
inner join business_days using (fiscal_month_start_date);

create temp table energy_monthly as
with wide as (
    select
        "施設コード" as facility_code,
        cast(date_trunc('month', cast(left("年月", 10) as date)) as date) as fiscal_month_start_date,
        try_cast("電気使用量(kWh)" as double) as electricity,
        try_cast("ガス使用量(m3)" as double) as gas,
        try_cast("水道使用量(m3)" as double) as water
    from read_csv('{utf8_dir}/energy/energy_monthly_*.csv', header = true, auto_detect = false,
        columns = {'施設コード': 'varchar', '施設名': 'varchar', '年月': 'varchar', '電気使用量(kWh)': 'varchar',
                   'ガス使用量(m3)': 'varchar', '水道使用量(m3)': 'varchar'})
)
unpivot wide on electricity, gas, water into name meter_type value usage_value;

create temp table energy_interval as
select
    "施設コード" as facility_code,
    cast(date_trunc('month', "計測日時") as date) as fiscal_month_start_date,
    'electricity' as meter_type,
    sum("電力量(kWh)") as usage_value
from read_csv('{landing_dir}/energy/energy_interval_*.csv', header = true, auto_detect = false,
    columns = {'施設コード': 'varchar', '計測日時': 'timestamp', '電力量(kWh)': 'double'})
group by all;

create temp table ref_facility_energy_monthly as
with unioned as (
    select facility_code, fiscal_month_start_date, meter_type, usage_value from energy_monthly
    union all
    select energy_interval.*
    from energy_interval
    anti join energy_monthly using (facility_code, fiscal_month_start_date, meter_type)
)
select
    facility_code,
    fiscal_month_start_date,
    sum(usage_value) filter (where meter_type = 'electricity') as electricity_kwh,
    sum(usage_value) filter (where meter_type = 'gas') as gas_m3,
    sum(usage_value) filter (where meter_type = 'water') as water_m3
from unioned group by all;

-- Raw web server logs (Combined Log Format, one file per day): requests per day × bot × page × status class.
create temp table web_requests as
with lines as (
    select regexp_extract(line,
        '^(\S+) \S+ \S+ \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-)(?: "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)")?',
        ['client', 'time_text', 'request', 'status', 'agent']) as fields
    from read_csv('{landing_dir}/web_access/*.log', header = false, auto_detect = false, delim = '\t', quote = '',
        escape = '', columns = {'line': 'varchar'})
),
parsed as (
    select
        fields.client as client,
        cast(timezone('Asia/Tokyo', strptime(fields.time_text, '%d/%b/%Y:%H:%M:%S %z')) as date) as request_date,
        case when len(string_split(fields.request, ' ')) >= 2
            then regexp_extract(string_split(fields.request, ' ')[2], '^[^?#]*') end as request_path,
        cast(fields.status as integer) as http_status,
        nullif(trim(fields.agent), '') as agent
    from lines
)
select
    request_date,
    coalesce(agent <> '-' and regexp_matches(agent, 'bot|crawl|spider|slurp|archiver|fetch|monitor|curl|wget|python-|java/|go-http|httpclient|libwww|scrapy|feed|preview|headless|phantomjs|semrush|ahrefs|yandex|baidu|bingpreview', 'i'), false) as is_bot,
    coalesce(request_path <> '' and not regexp_matches(request_path, '\.(?:png|jpe?g|gif|svg|ico|webp|bmp|css|js|mjs|map|woff2?|ttf|eot|otf|mp4|webm|mp3|json|xml|rss|atom|txt|pdf|zip|gz|tar|py|rb|sh)$', 'i'), false) as is_page,
    case
        when http_status between 100 and 199 then '1xx'
        when http_status between 200 and 299 then '2xx'
        when http_status between 300 and 399 then '3xx'
        when http_status between 400 and 499 then '4xx'
        when http_status between 500 and 599 then '5xx'
        else 'other'
    end as http_status_class,
    client
from parsed;

create temp table ref_web_requests_daily as
select
    request_date,
    is_bot,
    is_page,
    http_status_class,
    count(*) as request_count,
    count(distinct client) as client_count
from web_requests group by all;
