"""l10n.numbers: Chinese numbers with value, kind and English rendering, checked against English.

The table below holds real-world patterns of Chinese news copy (amounts with 万/亿, money,
percentages, dates, ranges, durations, ordinals, fractions), each with English renderings a
reviewer accepts and one wrong rendering the check must catch, with the expected message.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from l10n.numbers import (
    EnglishNumbers, chinese_value, missing_numbers, number_problems, source_identifiers, source_numbers,
    target_values,
)

pytestmark = pytest.mark.check("numbers")

# (source, accepted English renderings, a wrong rendering, the problem it must give)
CASES = [
    ('三万五千人参加了活动。', ['35,000 people took part.', 'Thirty-five thousand people took part.', 'some 35 thousand people'],
     '3,500 people took part.', '三万五千 → expected 35,000'),
    ('客流达一千二百万人次。', ['12 million passenger trips', '12,000,000 trips'],
     '1.2 million trips', '一千二百万 → expected 12 million'),
    ('人口两亿三千万。', ['a population of 230 million', '230,000,000 people'],
     '203 million people', '两亿三千万 → expected 230 million'),
    ('出口额达248.6亿美元。', ['US$24.86 billion', '$24.86 billion', '24.86 billion US dollars', 'USD 24.86 billion'],
     '24.86 billion yuan', '248.6亿美元 → expected US$24.86 billion'),
    ('销售额达248.6亿。', ['sales reached 24.86 billion', '24,860,000,000'],
     'sales reached 248.6 billion', '248.6亿 → expected 24.86 billion'),
    ('年产3.5万吨。', ['35,000 tonnes a year'],
     '3,500 tonnes a year', '3.5万 → expected 35,000'),
    ('产值5000万元。', ['50 million yuan', 'RMB 50 million', '50,000,000 yuan', '¥50 million'],
     '5 million yuan', '5000万元 → expected 50 million yuan'),
    ('产值超过530亿元。', ['above 53 billion yuan', 'more than RMB53 billion'],
     'above 530 billion yuan', '530亿元 → expected 53 billion yuan'),
    ('同比增长百分之三十五。', ['up 35%', 'up 35 percent', 'up thirty-five percent', 'up 35 per cent'],
     'up 53%', '百分之三十五 → expected 35%'),
    ('占比百分之三点五。', ['3.5% of the total', '3.5 percent'],
     '35% of the total', '百分之三点五 → expected 3.5%'),
    ('增长35%。', ['grew 35%', 'grew by 35 percent'],
     'grew 25%', '35% → expected 35%'),
    ('提高2.3个百分点。', ['up 2.3 percentage points', '2.3 points higher'],
     'up 2.3%', '2.3个百分点 → expected 2.3 percentage points'),
    ('三成企业已复工。', ['30% of enterprises have resumed work', '30 percent of firms'],
     'Three enterprises have resumed work', '三成 → expected 30%'),
    ('3月8日上午，', ['On the morning of March 8,', 'On March 8th,', 'On 8 March,'],
     'On the morning of March 18,', '3月8日 → expected March 8'),
    ('1月出口增长。', ['Exports grew in January.', 'January exports rose'],
     'Exports grew in June.', '1月 → expected January'),
    ('2023年3月8日，', ['On March 8, 2023,', 'On 8 March 2023,'],
     'On March 8, 2022,', '2023年3月8日 → expected March 8, 2023'),
    ('2023年，', ['In 2023,'],
     'In 2022,', '2023年 → expected 2023'),
    ('1—9月，全市工业增加值增长6%。', ["In the first nine months, the city's industrial value added grew 6%.", 'From January to September, industrial value added grew 6%.', 'In January-September, it grew 6%.', 'In the first three quarters, it grew 6%.'],
     'In January to August, it grew 6%.', '1—9月 → expected January to September'),
    ('1-6月，销量增长。', ['In the first half, sales grew.', 'Sales grew in January-June.'],
     'In the first quarter, sales grew.', '1-6月 → expected January to June'),
    ('9年来，', ['Over the past nine years,', 'For 9 years,', 'In the nine years since,'],
     'Over the past nine months,', '9年 → expected nine years'),
    ('历时15个月。', ['It took 15 months.', 'It took fifteen months.', 'after a 15-month effort'],
     'It took 15 years.', '15个月 → expected 15 months'),
    ('第3个月开始盈利。', ['It turned a profit in the third month.', 'in the 3rd month'],
     'in the second month', '第3个月 → expected third month'),
    ('第三届论坛', ['the third forum', 'the 3rd forum'],
     'the second forum', '第三 → expected third'),
    ('党的二十大精神', ['the 20th National Congress', 'the twentieth National Congress'],
     'the 19th National Congress', '二十 → expected 20th'),
    ('建设周期3-5年。', ['a construction period of three to five years', '3-5 years', 'between three and five years'],
     'three to six years', '3-5年 → expected three to five years'),
    ('需要三至五年。', ['It takes three to five years.', '3 to 5 years'],
     'It takes three to four years.', '三至五年 → expected three to five years'),
    ('投资5000万至1亿元。', ['50 million to 100 million yuan', '50-100 million yuan', 'between 50 million and 100 million yuan'],
     '5 million to 100 million yuan', '5000万至1亿元 → expected 50 million to 100 million yuan'),
    ('两三天内完成。', ['It will be done in two or three days.', 'within 2-3 days'],
     'It will be done in two days.', '两三 → expected two or three'),
    ('三分之一的企业', ['one third of the enterprises', 'a third of firms', 'one-third of firms', '1/3 of firms', '33% of firms'],
     'one quarter of the enterprises', '三分之一 → expected one third'),
    ('四分之三的订单', ['three quarters of the orders', 'three-quarters of orders', '75% of orders', '3/4 of orders', 'three fourths of orders'],
     'three fifths of the orders', '四分之三 → expected three quarters'),
    ('产量是去年的3倍。', ["Output is three times last year's.", 'Output tripled.', 'a threefold rise'],
     'Output doubled.', '3倍 → expected three times'),
    ('“十四五”时期', ['the 14th Five-Year Plan period', 'the fourteenth Five-Year Plan'],
     'the 13th Five-Year Plan period', '十四五 → expected 14th Five-Year Plan'),
    ('上世纪90年代', ['in the 1990s', "in the '90s", 'in the nineties'],
     'in the 1980s', '90年代 → expected the 1990s'),
    ('21世纪', ['the 21st century', 'the twenty-first century'],
     'the 20th century', '21世纪 → expected 21st century'),
    ('建厂70周年', ['the 70th anniversary of the plant'],
     'the 60th anniversary of the plant', '70周年 → expected 70th anniversary'),
    ('35岁的工程师', ['a 35-year-old engineer', 'an engineer aged 35'],
     'a 53-year-old engineer', '35 → expected 35'),
    ('共一百零五家', ['105 companies in all', 'one hundred and five companies', 'one hundred five companies'],
     '150 companies in all', '一百零五 → expected 105'),
    ('新增就业十万人', ['100,000 new jobs', 'a hundred thousand new jobs'],
     '10,000 new jobs', '十万 → expected 100,000'),
    ('二十万台', ['200,000 units'],
     '20,000 units', '二十万 → expected 200,000'),
    ('客流1.2亿人次', ['120 million passenger trips'],
     '12 million passenger trips', '1.2亿 → expected 120 million'),
    ('规模达8000亿', ['worth 800 billion'],
     'worth 80 billion', '8000亿 → expected 800 billion'),
    ('规模2万亿元', ['2 trillion yuan'],
     '2 billion yuan', '2万亿元 → expected 2 trillion yuan'),
    ('投资3亿欧元', ['an investment of 300 million euros', '€300 million'],
     '300 million yuan', '3亿欧元 → expected 300 million euros'),
    ('融资500万英镑', ['£5 million in funding', '5 million pounds'],
     '$5 million in funding', '500万英镑 → expected £5 million'),
    ('融资100亿港元', ['HK$10 billion', '10 billion Hong Kong dollars'],
     'US$10 billion', '100亿港元 → expected HK$10 billion'),
    ('第一季度', ['the first quarter', 'Q1'],
     'the second quarter', '第一 → expected first'),
    ('10多年来', ['for more than 10 years', 'for over a decade'],
     'for more than 20 years', '10多年 → expected 10 years'),
    ('5000多万', ['more than 50 million'],
     'more than 5 million', '5000多万 → expected 50 million'),
    ('运行4707次', ['4,707 trips', '4707 runs'],
     '4,770 trips', '4707 → expected 4,707'),
    ('24小时不停工', ['round the clock for 24 hours', 'a 24-hour shift'],
     '24 days without a break', '24小时 → expected 24 hours'),
    ('两周内', ['within two weeks', 'within 2 weeks'],
     'within two months', '两周 → expected two weeks'),
    ('3·15晚会', ['the March 15 gala', 'the 3·15 gala'],
     'the March 5 gala', '3·15 → expected March 15'),
    ('C919大飞机', ['the C919 large airliner'],
     'the C929 large airliner', 'C919 → expected C919'),
    ('500kV变电站', ['a 500 kV substation', 'a 500-kV substation', 'a 500kV substation'],
     'a 220 kV substation', '500kV → expected 500 kV'),
    ('8日，', ['On the 8th,', 'On Monday, the 8th,'],
     'On the 9th,', '8日 → expected the 8th'),
    ('三年攻坚', ['a three-year campaign', 'three years of hard work'],
     'a two-year campaign', '三年 → expected three years'),
    ('十年磨一剑', ['a decade of hard work', 'ten years of work'],
     'nine years of work', '十年 → expected 10 years'),
    ('百年变局', ['changes unseen in a century', 'a 100-year shift'],
     'changes unseen in 50 years', '百年 → expected 100 years'),
    ('41颗卫星', ['41 satellites', 'forty-one satellites'],
     '14 satellites', '41 → expected 41'),
    ('1.5万人', ['15,000 people'],
     '1,500 people', '1.5万 → expected 15,000'),
    ('六个回归', ['the Six Returns', 'six returns'],
     'the Seven Returns', '六 → expected six'),
    ('2021—2025年', ['2021-2025', 'from 2021 to 2025'],
     '2021-2024', '2021—2025年 → expected 2021 to 2025'),
    ('3月8日至10日', ['March 8-10', 'from March 8 to 10'],
     'March 8-11', '10日 → expected the 10th'),
    ('增长5%—10%', ['growth of 5% to 10%', '5-10% growth'],
     '5-15% growth', '5%—10% → expected 5% to 10%'),
    ('5000万美元', ['US$50 million', '50 million dollars'],
     'US$5 million', '5000万美元 → expected US$50 million'),
    ('增长12.5%', ['up 12.5%'],
     'up 12%', '12.5% → expected 12.5%'),
    ('三万五', ['35,000'],
     '30,005', '三万五 → expected 35,000'),
    ('不良率千分之五', ['a defect rate of 0.5%', '0.5 percent'],
     'a defect rate of 5%', '千分之五 → expected 0.5%'),
    ('2023年1—9月', ['in the first nine months of 2023', 'in January-September 2023'],
     'in the first eight months of 2023', '1—9月 → expected January to September'),
    ('时速200公里', ['200 km/h', '200 kilometers per hour'],
     '300 km/h', '200 → expected 200'),
    ('七八个项目', ['seven or eight projects', '7-8 projects'],
     'eight or nine projects', '七八 → expected seven or eight'),
    ('第二批资金', ['the second batch of funds'],
     'the third batch of funds', '第二 → expected second'),
    ('两亿人', ['200 million people'],
     '2 million people', '两亿 → expected 200 million'),
    ('平台02A01星', ['the Pingtai 02A01 satellite'],
     'the Pingtai 02A1 satellite', '02A01 → expected 02A01'),
    ('百星飞天', ['100 satellites in space', 'a hundred satellites'],
     'satellites in space', '百 → expected 100'),    ('出口增长三点五倍。', ['Exports grew 3.5 times.', 'a 3.5-fold increase in exports'],
     'Exports grew three times.', '三点五倍 → expected 3.5 times'),
    # 周岁 is years of age, not weeks (16周 alone is 16 weeks)
    ('年满16周岁的学徒', ['apprentices aged 16', 'apprentices who are 16 years old'],
     'apprentices aged 61', '16 → expected 16'),
    # a span of years keeps the years as they are written (no 2,021)
    ('2021-2022赛季', ['the 2021-2022 season', 'the 2021 to 2022 season'],
     'the 2021 season', '2021-2022 → expected 2021-2022'),
]


def test_the_table_is_large_enough():
    assert len(CASES) >= 60
    assert len({source for source, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize("source, accepted, wrong, problem", CASES, ids=[c[0] for c in CASES])
def test_accepted_renderings_pass(source, accepted, wrong, problem):
    for english in accepted:
        assert number_problems(source, english) == [], english


@pytest.mark.parametrize("source, accepted, wrong, problem", CASES, ids=[c[0] for c in CASES])
def test_wrong_rendering_is_caught_with_the_expected_english(source, accepted, wrong, problem):
    assert problem in [str(p) for p in number_problems(source, wrong)]


@pytest.mark.parametrize("text", [
    "千方百计", "一路高歌", "三亚", "五一假期", "九一八事变", "几十个", "十几个", "第一时间", "千万不要", "三五成群",
    "双十一", "一汽", "四川", "万一", "上百家", "一批", "新的一年", "长春市", "数百名", "一马当先", "十分重要",
    "成员国", "天然气", "元素",
])
def test_words_with_numeral_characters_are_not_numbers(text):
    assert source_numbers(text) == []


@pytest.mark.parametrize("numeral, value", [
    ("三", 3), ("十", 10), ("十五", 15), ("二十", 20), ("二十一", 21), ("一百零五", 105), ("一千二百", 1200),
    ("三万五千", 35000), ("三万五", 35000), ("一千二", 1200), ("十万", 100000), ("一千二百万", 12_000_000),
    ("两亿三千万", 230_000_000), ("一万亿", 10 ** 12), ("二〇二三", 2023), ("一万零三百", 10300),
])
def test_chinese_value(numeral, value):
    assert chinese_value(numeral) == value


@pytest.mark.parametrize("numeral", ["十十", "万", "亿五", "三五万万", ""])
def test_chinese_value_rejects_malformed_numerals(numeral):
    assert chinese_value(numeral) is None


def test_source_numbers_carry_value_kind_and_english():
    found = {n.written: (n.kind, n.value, n.english) for n in source_numbers(
        "2023年3月8日，出口248.6亿美元，增长百分之三十五，三万五千人，第3个月，3-5年，1—9月。")}
    assert found == {
        "2023年3月8日": ("date", None, "March 8, 2023"),
        "248.6亿美元": ("money", Decimal("24860000000"), "US$24.86 billion"),
        "百分之三十五": ("percent", Decimal(35), "35%"),
        "三万五千": ("cardinal", Decimal(35000), "35,000"),
        "第3个月": ("ordinal", Decimal(3), "third month"),
        "3-5年": ("range", Decimal(3), "three to five years"),
        "1—9月": ("range", Decimal(1), "January to September"),
    }


def test_spans_point_at_the_written_form():
    text = "产值5000万元，同比增长12.5%。"
    for number in source_numbers(text):
        assert text[number.start:number.end] == number.written


def test_numbers_present_in_the_committed_article_style():
    assert missing_numbers("产值5000万元", "an output value of 50 million yuan") == []
    assert missing_numbers("超过530亿元", "above 53,000,000,000 yuan") == []
    assert missing_numbers("党的二十大精神", "the twentieth National Congress") == []
    assert missing_numbers("一路高歌，一汽一批", "a triumphant march") == []


def test_missing_numbers_lists_written_forms():
    assert missing_numbers("产值5000万元", "an output value of 5 million yuan") == ["5000万元"]
    assert missing_numbers("平台02A01星", "the Pingtai 2A01 satellite") == ["02A01"]


def test_one_january_is_a_month_not_a_missing_number():
    assert number_problems("1月，订单增长。", "In January, orders grew.") == []


def test_identifiers_are_not_numbers():
    text = "“吉林一号”高分06A、高分03D、平台02A01星"
    assert source_identifiers(text) == ["06A", "03D", "02A01"]
    assert source_numbers(text) == []


def test_target_values():
    assert {Decimal(50_000_000), Decimal(50)} <= target_values("50 million yuan")
    assert Decimal(53_000_000_000) in target_values("53 billion yuan")
    assert Decimal(4707) in target_values("4,707 trips")
    assert Decimal(20) in target_values("the 20th National Congress")
    assert Decimal(3) in target_values("the third forum")
    assert Decimal(100) in target_values("a hundred satellites")
    assert Decimal(35000) in target_values("thirty-five thousand people")
    assert Decimal(105) in target_values("one hundred and five")
    assert Decimal(21) in target_values("the twenty-first century")


def test_a_range_shares_its_multiplier_and_its_unit():
    english = EnglishNumbers("between 50 and 100 million yuan, up 5-10%")
    assert english.has_money(Decimal(50_000_000), "CNY")
    assert english.has_percent(Decimal(5))
    assert not english.has_money(Decimal(50_000_000), "USD")


def test_two_number_words_in_a_row_are_not_added_up():
    assert Decimal(5) not in target_values("the two three-year plans")
    assert {Decimal(2), Decimal(3)} <= target_values("the two three-year plans")


def test_a_thousand_numbers_in_one_segment():
    # every number of a long segment is checked, and only the missing one is reported
    source = "，".join(f"{i}家" for i in range(1, 1001))
    english = ", ".join(str(i) for i in range(1, 1001))
    assert number_problems(source, english) == []
    assert [p.written for p in number_problems(source, english.replace("777,", ""))] == ["777"]


def test_digits_inside_web_and_email_addresses_are_left_to_the_verbatim_check():
    source = "详见https://www.changchun.gov.cn/zw/2023/007.html，或发邮件至news007@ccdaily.cn。"
    assert source_numbers(source) == []
    assert source_identifiers(source) == []
