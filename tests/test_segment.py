"""Segmentation rules (see the l10n.segment docstring), with sentences taken from the article."""

from l10n.segment import segment_text, split_sentences

from tests.conftest import ARTICLE


def kinds_and_texts(text):
    doc = segment_text(text, "doc.txt")
    return [(seg.kind, seg.text, seg.line) for seg in doc.segments()]


def test_sentence_ends_split():  # S1
    text = "高端装备制造是技术进步的基本源泉，也是经济高质量发展的原动力。经济腾飞，与高端装备制造息息相关。"
    assert split_sentences(text) == [
        "高端装备制造是技术进步的基本源泉，也是经济高质量发展的原动力。",
        "经济腾飞，与高端装备制造息息相关。",
    ]
    assert split_sentences("投产后预计当年可实现产值5000万元！这是结果。") == ["投产后预计当年可实现产值5000万元！", "这是结果。"]
    assert split_sentences("真的吗？是的。") == ["真的吗？", "是的。"]


def test_ellipsis_ends_a_sentence():  # S1
    text = "传统产业转型升级、优势产业做优做强、新兴产业创新崛起……高端装备制造产业正逢其时。"
    assert split_sentences(text) == ["传统产业转型升级、优势产业做优做强、新兴产业创新崛起……", "高端装备制造产业正逢其时。"]
    # a single … is not a sentence end
    assert split_sentences("甲…乙。") == ["甲…乙。"]


def test_run_of_marks_stays_together():  # S1
    assert split_sentences("真的吗？！当然。") == ["真的吗？！", "当然。"]


def test_closing_quote_belongs_to_sentence_before():  # S2
    text = "他说：“我们一定会成功，这是历史的必然，也是所有人共同奋斗的结果，谁也挡不住。”大家鼓掌。"
    assert split_sentences(text) == [
        "他说：“我们一定会成功，这是历史的必然，也是所有人共同奋斗的结果，谁也挡不住。”",
        "大家鼓掌。",
    ]
    assert split_sentences("这是结果。）后来。") == ["这是结果。）", "后来。"]


def test_short_quotation_inside_a_sentence_is_not_split():  # S3
    assert split_sentences("“加油！”他说。") == ["“加油！”他说。"]
    text = "成为广大运动员竞相打卡的“网红列车”。接着。"
    assert split_sentences(text) == ["成为广大运动员竞相打卡的“网红列车”。", "接着。"]


def test_no_split_inside_brackets():  # S3
    text = "据统计，专项资金（第二批。已完成）已完成。下一句。"
    assert split_sentences(text) == ["据统计，专项资金（第二批。已完成）已完成。", "下一句。"]


def test_unbalanced_quote_does_not_glue_the_paragraph():  # S3
    assert split_sentences("他说“好。然后。再后来。") == ["他说“好。", "然后。", "再后来。"]


def test_whitespace_and_fullwidth_space_trimmed():  # S4
    doc = segment_text("\u3000\u3000一路高歌，捷报频传！ \u3000\n", "d.txt")
    assert [s.text for s in doc.segments()] == ["一路高歌，捷报频传！"]


def test_heading_ending_in_double_dash_is_one_segment():
    doc = segment_text("看长春\n\n长春高端装备制造业一路高歌——\n\n奋力提升挺“脊梁”\n\n本报记者 孟凡明 刘霄宇\n\n正文。\n", "d.txt")
    segs = [(s.kind, s.text) for s in doc.segments()]
    assert ("kicker", "长春高端装备制造业一路高歌——") in segs
    assert ("headline", "奋力提升挺“脊梁”") in segs
    assert ("byline", "本报记者 孟凡明 刘霄宇") in segs


def test_list_item_dash_is_markup_not_text():  # B3
    text = "本报记者 甲\n\n——由中车长客自主研发的试验系统完成首次悬浮运行。标志着突破。\n"
    doc = segment_text(text, "d.txt")
    items = [s for s in doc.segments() if s.kind == "list-item"]
    assert [s.text for s in items] == ["由中车长客自主研发的试验系统完成首次悬浮运行。", "标志着突破。"]
    assert all(not s.text.startswith("—") for s in items)


def test_broken_line_is_joined_and_lines_counted():  # B2
    text = "本报记者 甲\n\n目前，长春市工信局已推进搬迁项目、新金享\n\n轨道车辆新材料项目等加速建设。天朗项目已开工。\n"
    doc = segment_text(text, "d.txt")
    segs = [(s.text, s.line) for s in doc.segments()]
    assert segs == [
        ("本报记者 甲", 1),
        ("目前，长春市工信局已推进搬迁项目、新金享轨道车辆新材料项目等加速建设。", 3),
        ("天朗项目已开工。", 5),
    ]


def test_section_heading_and_captions_and_credit():  # K2, K4, K5
    text = (
        "本报记者 甲\n\n正文第一段。\n\n跃上新高度 底蕴更深厚\n\n正文第二段。\n\n\n\n"
        "长春铁建重工铆焊工人正在进行盾构机刀盘加工。\n\n\n\n国内首列市域C型列车下线。\n\n本版图片为资料图片"
    )
    kinds = [(s.kind, s.text) for s in segment_text(text, "d.txt").segments()]
    assert ("heading", "跃上新高度 底蕴更深厚") in kinds
    assert ("caption", "长春铁建重工铆焊工人正在进行盾构机刀盘加工。") in kinds
    assert ("caption", "国内首列市域C型列车下线。") in kinds
    assert ("credit", "本版图片为资料图片") in kinds


def test_crlf_and_lf_give_the_same_lines():
    text = ARTICLE.read_text(encoding="utf-8")
    lf = kinds_and_texts(text)
    from l10n.textio import decode_text

    crlf = kinds_and_texts(decode_text(text.replace("\n", "\r\n").encode(), "d.txt"))
    assert lf == crlf


def test_the_article():
    """The layout of a real page: a head with a photo caption before the headline, a closing
    credit. (The article's block and segment counts are checked end to end, in tests/test_cli.py.)"""
    doc = segment_text(ARTICLE.read_text(encoding="utf-8"), "source/zh/changchun-equipment.txt")
    segments = doc.segments()
    first = segments[0]
    assert (first.kind, first.text, first.line) == ("kicker", "看长春", 3)
    # the lead photo caption sits in the head, before the headline
    assert [(s.kind, s.line) for s in segments[3:6]] == [("caption", 11), ("kicker", 13), ("headline", 15)]
    assert segments[-1].text == "本版图片为资料图片" and segments[-1].line == 136
    # a deterministic function of the text
    assert segment_text(ARTICLE.read_text(encoding="utf-8"), "x").segments() == segment_text(ARTICLE.read_text(encoding="utf-8"), "x").segments()
