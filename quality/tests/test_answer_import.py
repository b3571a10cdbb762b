"""Phone or paper answers from a spreadsheet: all rows become submitted responses, or none do.

Service tests read the messages in English (``translation.override``); the page tests check what
the manager sees after an upload, the template download and who may use either.
"""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from customers.tests.factories import ShopFactory
from flexserve.errors import Forbidden
from imports.tests.files import xlsx_bytes
from quality import selectors
from quality.errors import SurveyClosed
from quality.models import Instrument, Invitation, Response, Wave
from quality.services import answer_import, surveys

ITEMS = ["t1", "t2", "t3", "t4", "r1", "r2", "r3", "r4", "r5", "s1", "s2", "s3", "s4"]
ITEMS += ["a1", "a2", "a3", "a4", "e1", "e2", "e3", "e4", "e5"]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
POINTS = [10, 30, 30, 15, 15]
HEADERS = ["店铺编码", "渠道", "店名"]
HEADERS += [f"{code} {side}" for code in ITEMS for side in ("E", "P")]
HEADERS += [f"points {d}" for d in DIMENSIONS] + ["comment"]
ALL_POINTS = ", ".join(f"points {d}" for d in DIMENSIONS)  # a wrong sum is every cell's


@pytest.fixture
def servqual(db) -> Instrument:
    return Instrument.objects.get(code="servqual-shop-22")


@pytest.fixture
def shops(db):
    return ShopFactory.create_batch(3)


@pytest.fixture
def wave(service_manager, servqual, shops) -> Wave:
    now = timezone.now()
    return surveys.wave_create(
        actor=service_manager,
        instrument_id=servqual.pk,
        name="2026 年第四季度电话回访",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=14),
        target={},
    )


def row(code: str, *, e=6, p=5, points=POINTS, channel="", comment="", **cells) -> list:
    """One shop's row in HEADERS order; ``cells`` overrides by header ("r2_E" for "r2 E")."""
    values = {"店铺编码": code, "渠道": channel, "店名": "某便利店", "comment": comment}
    values |= {f"{c} E": e for c in ITEMS} | {f"{c} P": p for c in ITEMS}
    values |= {f"points {d}": n for d, n in zip(DIMENSIONS, points, strict=True)}
    values |= {header.replace("_", " "): value for header, value in cells.items()}
    return [values[h] for h in HEADERS]


def upload(rows: list[list], headers: list[str] = HEADERS, name="answers.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(headers, rows))


def run(manager, wave, rows, headers=HEADERS, channel="import"):
    with translation.override("en"):
        return answer_import.answers_import(
            actor=manager, wave_id=wave.pk, upload=upload(rows, headers), default_channel=channel
        )


def nothing_written(wave: Wave) -> bool:
    answered = Invitation.objects.filter(wave=wave, responded_at__isnull=False).exists()
    return not Response.objects.filter(wave=wave).exists() and not answered


# --- The service ----------------------------------------------------------------------------


def test_a_good_file_submits_one_response_per_row_with_its_answers_and_channel(
    service_manager, wave, shops
):
    rows = [
        row(shops[0].licence_no, channel="phone", comment="送货很准时", r3_E=7, r3_P=2),
        row(shops[1].licence_no, e=7, p=7, channel="纸质", points=[20, 20, 20, 20, 20]),
        row(shops[2].licence_no),  # blank channel: the one chosen on the form
    ]
    outcome = run(service_manager, wave, rows, channel="paper")
    assert outcome.errors == []
    assert (outcome.rows, outcome.created, outcome.skipped) == (3, 3, 0)
    by_shop = {
        i.shop_id: selectors.stored_response(i) for i in Invitation.objects.filter(wave=wave)
    }
    assert {s.pk: by_shop[s.pk].channel for s in shops} == {
        shops[0].pk: "phone",
        shops[1].pk: "paper",
        shops[2].pk: "paper",
    }
    assert all(r.state == Response.State.SUBMITTED for r in by_shop.values())
    assert not Invitation.objects.filter(wave=wave, responded_at__isnull=True).exists()
    first = selectors.stored_answers(by_shop[shops[0].pk])
    assert first["r3"] == {"e": 7, "p": 2} and first["t1"] == {"e": 6, "p": 5}
    assert first["points"] == dict(zip(DIMENSIONS, POINTS, strict=True))
    assert first["comment"] == "送货很准时"
    second = selectors.stored_answers(by_shop[shops[1].pk])
    assert second["e5"] == {"e": 7, "p": 7} and "comment" not in second
    assert by_shop[shops[0].pk].answers.count() == 24  # 22 E/P items, points, comment


def test_chinese_and_double_underscore_headers_and_the_licence_column_are_read_the_same(
    service_manager, wave, shops
):
    names = {"店铺编码": "许可证号"}
    for index, code in enumerate(ITEMS):
        chinese = index % 2 == 0
        names[f"{code} E"] = f"{code} 期望" if chinese else f"{code}__e"
        names[f"{code} P"] = f"{code} 感知" if chinese else f"{code}__p"
    headers = [names.get(h, h) for h in HEADERS]
    outcome = run(service_manager, wave, [row(shops[0].licence_no, t2_P=3)], headers)
    assert outcome.errors == [] and outcome.created == 1
    invitation = Invitation.objects.get(wave=wave, shop=shops[0])
    assert selectors.stored_answers(selectors.stored_response(invitation))["t2"] == {
        "e": 6,
        "p": 3,
    }


@pytest.mark.parametrize(
    "bad_row, column, words",
    [
        ({"r2_E": 9}, "r2 E", "from 1 to 7"),
        ({"s1_P": ""}, "s1 P", "Please answer"),
        ({"points": [10, 30, 30, 15, 10]}, ALL_POINTS, "add up to 100 (now 95)"),
        ({"points": [10, 30, "x", 15, 15]}, "points responsiveness", "whole numbers"),
        ({"channel": "fax"}, "渠道", "phone, paper or import"),
    ],
)
def test_one_bad_cell_rejects_the_file_naming_its_row_and_column(
    service_manager, wave, shops, bad_row, column, words
):
    rows = [row(shops[0].licence_no), row(shops[1].licence_no, **bad_row)]
    outcome = run(service_manager, wave, rows)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, column)]
    assert words in outcome.errors[0].message
    assert outcome.created == 0 and nothing_written(wave)


def test_unknown_uninvited_and_repeated_shops_are_row_errors_and_nothing_is_written(
    service_manager, wave, shops
):
    late = ShopFactory()  # created after the wave: not invited
    rows = [
        row(shops[0].licence_no),
        row("340999999999"),
        row(late.licence_no),
        row(shops[0].licence_no),
    ]
    outcome = run(service_manager, wave, rows)
    assert [(e.row, e.column) for e in outcome.errors] == [
        (3, "店铺编码"),
        (4, "店铺编码"),
        (5, "店铺编码"),
    ]
    assert "340999999999" in outcome.errors[0].message
    assert "not invited" in outcome.errors[1].message
    assert "row 2" in outcome.errors[2].message
    assert nothing_written(wave)


def test_a_missing_required_column_is_named_and_no_row_is_read(service_manager, wave, shops):
    headers = [h for h in HEADERS if h != "t1 P"]
    values = row(shops[0].licence_no)
    values.pop(HEADERS.index("t1 P"))
    outcome = run(service_manager, wave, [values], headers)
    assert [(e.row, e.column) for e in outcome.errors] == [(1, "t1 P")]
    assert "missing" in outcome.errors[0].message
    assert nothing_written(wave)


def test_an_unknown_or_repeated_header_is_refused(service_manager, wave, shops):
    headers = [*HEADERS, "t1 期望", "t23 E"]
    values = [*row(shops[0].licence_no), 6, 6]
    outcome = run(service_manager, wave, [values], headers)
    assert [(e.row, e.column) for e in outcome.errors] == [(1, "t1 期望"), (1, "t23 E")]
    assert nothing_written(wave)


def test_an_optional_question_may_be_left_out(service_manager, wave, shops):
    headers = HEADERS[:-1]  # no comment column
    outcome = run(service_manager, wave, [row(shops[0].licence_no)[:-1]], headers)
    assert outcome.errors == [] and outcome.created == 1


def test_a_shop_that_answered_is_skipped_when_the_same_and_refused_when_different(
    service_manager, wave, shops
):
    first = run(service_manager, wave, [row(shops[0].licence_no, channel="phone")])
    assert first.created == 1
    again = run(service_manager, wave, [row(shops[0].licence_no), row(shops[1].licence_no)])
    assert again.errors == [] and (again.created, again.skipped) == (1, 1)
    changed = run(service_manager, wave, [row(shops[2].licence_no), row(shops[0].licence_no, e=1)])
    assert [(e.row, e.column) for e in changed.errors] == [(3, "店铺编码")]
    assert "already answered" in changed.errors[0].message
    assert not Invitation.objects.get(wave=wave, shop=shops[2]).responded_at
    stored = selectors.stored_response(Invitation.objects.get(wave=wave, shop=shops[0]))
    assert stored.channel == "phone" and selectors.stored_answers(stored)["t1"]["e"] == 6


def test_a_portal_draft_is_completed_by_the_phone_answers(service_manager, wave, shops):
    invitation = Invitation.objects.get(wave=wave, shop=shops[0])
    draft = surveys.record_answers(invitation, {"t1": {"e": 2}}, submit=False)
    outcome = run(service_manager, wave, [row(shops[0].licence_no, channel="phone")])
    assert outcome.created == 1
    draft.refresh_from_db()
    assert draft.state == Response.State.SUBMITTED and draft.channel == "phone"
    assert selectors.stored_answers(draft)["t1"] == {"e": 6, "p": 5}


def test_a_closed_wave_refuses_the_file(service_manager, wave, shops):
    Wave.objects.filter(pk=wave.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(SurveyClosed):
        run(service_manager, wave, [row(shops[0].licence_no)])
    assert nothing_written(wave)


def test_a_staff_wave_takes_no_shop_answers(service_manager, account_manager, servqual, shops):
    now = timezone.now()
    staff_wave = surveys.wave_create(
        actor=service_manager,
        instrument_id=servqual.pk,
        name="员工代答",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=14),
        audience=Wave.Audience.STAFF,
    )
    with pytest.raises(answer_import.WaveNotForShops):
        run(service_manager, staff_wave, [row(shops[0].licence_no)])
    assert nothing_written(staff_wave)


def test_a_file_that_is_no_table_is_reported_and_only_managers_import(
    service_manager, account_manager, wave, shops
):
    with translation.override("en"):
        outcome = answer_import.answers_import(
            actor=service_manager,
            wave_id=wave.pk,
            upload=SimpleUploadedFile("answers.xlsx", b"not a zip file"),
        )
    assert [(e.row, e.message) for e in outcome.errors] == [
        (None, "The file is not a readable CSV or XLSX table.")
    ]
    with pytest.raises(Forbidden):
        run(account_manager, wave, [row(shops[0].licence_no)])
    assert nothing_written(wave)


# --- The pages ------------------------------------------------------------------------------


def import_url(wave: Wave) -> str:
    return f"/console/quality/waves/{wave.pk}/import/"


def test_the_template_has_the_headers_and_an_example_row_that_cannot_be_imported(
    client_for, service_manager, wave
):
    response = client_for(service_manager).get(f"{import_url(wave)}template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header, example = (list(r) for r in sheet.iter_rows(max_row=2, values_only=True))
    assert header == HEADERS
    values = dict(zip(header, example, strict=True))
    assert sum(values[f"points {d}"] for d in DIMENSIONS) == 100
    assert values["t1 E"] == 6 and values["t1 P"] == 5
    # Uploaded unchanged, the example row names no shop: nothing is imported.
    outcome = answer_import.answers_import(
        actor=service_manager,
        wave_id=wave.pk,
        upload=SimpleUploadedFile("template.xlsx", content),
    )
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "店铺编码")]
    assert nothing_written(wave)


def test_only_managers_reach_the_import_pages(client_for, account_manager, shop_owner, wave):
    for user in (account_manager, shop_owner):
        client = client_for(user)
        assert client.get(import_url(wave)).status_code == 403
        assert client.get(f"{import_url(wave)}template.xlsx").status_code == 403
        files = {
            "channel": "phone",
            "file": upload([row(wave.invitations.first().shop.licence_no)]),
        }
        assert client.post(import_url(wave), files).status_code == 403
    assert nothing_written(wave)


def test_the_wave_page_links_to_the_import_for_managers_only(
    client_for, service_manager, account_manager, wave
):
    wave_page = f"/console/quality/waves/{wave.pk}/"
    assert import_url(wave) in client_for(service_manager).get(wave_page).content.decode()
    assert import_url(wave) not in client_for(account_manager).get(wave_page).content.decode()


def test_the_page_lists_the_columns_then_the_problems_of_a_refused_upload(
    client_for, service_manager, wave, shops
):
    client = client_for(service_manager)
    page = client.get(import_url(wave))
    assert page.status_code == 200
    assert "<code>r2 E</code>" in page.content.decode()
    assert "data-import-error" not in page.content.decode()
    bad = {"channel": "phone", "file": upload([row(shops[0].licence_no, r2_E=9)])}
    refused = client.post(import_url(wave), bad)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'data-row="2"' in html and "<td data-label" in html and "r2 E" in html
    assert "请选择 1 到 7 之间的整数" in html  # the message in the page's language (zh-hans)
    assert nothing_written(wave)


def test_a_good_upload_redirects_to_the_wave_and_says_how_many(
    client_for, service_manager, wave, shops
):
    client = client_for(service_manager)
    good = {"channel": "paper", "file": upload([row(s.licence_no) for s in shops])}
    response = client.post(import_url(wave), good, follow=True)
    assert response.redirect_chain[-1][0] == f"/console/quality/waves/{wave.pk}/"
    assert set(Response.objects.filter(wave=wave).values_list("channel", flat=True)) == {"paper"}
    assert Response.objects.filter(wave=wave, state=Response.State.SUBMITTED).count() == 3


def test_a_closed_wave_says_so_on_the_page_and_takes_nothing(
    client_for, service_manager, wave, shops
):
    Wave.objects.filter(pk=wave.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    client = client_for(service_manager)
    response = client.post(
        import_url(wave), {"channel": "phone", "file": upload([row(shops[0].licence_no)])}
    )
    assert response.status_code == 409
    assert "data-form-error" in response.content.decode()
    assert nothing_written(wave)
