"""Approver ≠ reviewer, and two different approvers above the threshold, with real tokens.

The demo realm has no user who is both a fund officer (who reviews) and a fund approver, so
over HTTP the reviewer `iom.officer` is refused approval by role (403). The domain rule itself
— a person who reviewed cannot approve even when they hold both roles — is shown at the handler
level in tests/integration/test_handlers.py, with a principal holding both roles.
"""

from __future__ import annotations


def rule_of(response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return str(response.json()["rule"])


class TestApprove:
    async def test_officer_reviews_and_approver_approves(self, desk):
        await desk.set_budget("2100.00")
        app_id = await desk.reviewed()
        response = await desk.approve(app_id, "iom.approver")
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["status"] == "approved"
        assert data["reviewed_by"] == "iom.officer"
        assert [a["by"] for a in data["approvals"]] == ["iom.approver"]
        assert data["approvals"][0]["at"].startswith(str(desk.year))
        assert data["approvals_needed"] == 1
        assert data["approved_total"] == "300.00"
        assert data["budget_year"] == desk.year

    async def test_the_reviewer_cannot_approve(self, desk):
        await desk.set_budget("2100.00")
        app_id = await desk.reviewed()  # reviewed by iom.officer
        response = await desk.approve(app_id, "iom.officer")
        assert response.status_code == 403
        assert response.json()["detail"] == "Only an IOM fund approver can approve an application."
        after = (await desk.read(app_id)).json()
        assert after["status"] == "under_review"
        assert after["approvals"] == []
        assert (await desk.budget())["reserved"] == "0.00"

    async def test_an_approver_cannot_review(self, desk):
        created = await desk.create()
        app_id = created.json()["id"]
        await desk.submit(app_id)
        response = await desk.review(app_id, "iom.approver")
        assert response.status_code == 403

    async def test_the_filing_authority_cannot_approve(self, desk):
        app_id = await desk.reviewed()
        response = await desk.approve(app_id, "consul.gt.tapachula")
        assert response.status_code == 403

    async def test_an_authority_that_cannot_see_it_gets_404(self, desk):
        app_id = await desk.reviewed()
        response = await desk.approve(app_id, "consul.hn.tapachula")
        assert response.status_code == 404

    async def test_approval_needs_a_review(self, desk):
        await desk.set_budget("2100.00")
        created = await desk.create()
        app_id = created.json()["id"]
        await desk.submit(app_id)
        response = await desk.approve(app_id)
        assert response.status_code == 409
        assert rule_of(response) == "decision.review_required"


class TestAboveTheThreshold:
    async def test_two_different_approvers_are_needed(self, desk):
        await desk.set_budget("2100.00")
        app_id = await desk.reviewed(items=[{"kind": "transport", "amount": "600.00"}])
        first = await desk.approve(app_id, "iom.approver")
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "under_review"
        assert first.json()["approvals_needed"] == 2
        assert [a["by"] for a in first.json()["approvals"]] == ["iom.approver"]
        assert (await desk.budget())["reserved"] == "0.00"  # nothing before the last approval

        again = await desk.approve(app_id, "iom.approver")
        assert again.status_code == 409
        assert rule_of(again) == "approval.same_approver_twice"
        assert (await desk.read(app_id)).json()["approvals"] == first.json()["approvals"]

        second = await desk.approve(app_id, "iom.approver2")
        assert second.status_code == 200, second.text
        assert second.json()["status"] == "approved"
        assert [a["by"] for a in second.json()["approvals"]] == ["iom.approver", "iom.approver2"]
        assert second.json()["approved_total"] == "600.00"
        budget = await desk.budget()
        assert (budget["reserved"], budget["available"]) == ("600.00", "1500.00")

    async def test_exactly_the_threshold_needs_one_approver(self, desk):
        await desk.set_budget("2100.00")
        app_id = await desk.reviewed(items=[{"kind": "transport", "amount": "500.00"}])
        response = await desk.approve(app_id, "iom.approver2")
        assert response.status_code == 200
        assert response.json()["approvals_needed"] == 1
        assert response.json()["status"] == "approved"

    async def test_a_question_withdraws_the_first_approval(self, desk):
        await desk.set_budget("2100.00")
        app_id = await desk.reviewed(items=[{"kind": "transport", "amount": "600.00"}])
        assert (await desk.approve(app_id, "iom.approver")).status_code == 200
        asked = await desk.post(
            "iom.officer", f"/v1/applications/{app_id}/request-info", {"question": "Receipts?"}
        )
        assert asked.status_code == 200
        assert asked.json()["approvals"] == []
        assert asked.json()["reviewed_by"] is None
        answered = await desk.post(
            "consul.gt.tapachula",
            f"/v1/applications/{app_id}/provide-information",
            {"answer": "Attached to the file."},
        )
        assert answered.status_code == 200
        assert (await desk.review(app_id)).status_code == 200
        # The same approver may approve again in the new round; a second one still follows.
        again = await desk.approve(app_id, "iom.approver")
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "under_review"
        done = await desk.approve(app_id, "iom.approver2")
        assert done.json()["status"] == "approved"


class TestReject:
    async def test_an_approver_rejects_with_a_reason(self, desk):
        app_id = await desk.reviewed()
        response = await desk.post(
            "iom.approver2", f"/v1/applications/{app_id}/reject", {"reason": "Covered elsewhere"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected"
        assert response.json()["rejection_reason"] == "Covered elsewhere"

    async def test_the_officer_cannot_reject(self, desk):
        app_id = await desk.reviewed()
        response = await desk.post(
            "iom.officer", f"/v1/applications/{app_id}/reject", {"reason": "No"}
        )
        assert response.status_code == 403

    async def test_a_blank_reason_is_422(self, desk):
        app_id = await desk.reviewed()
        response = await desk.post(
            "iom.approver", f"/v1/applications/{app_id}/reject", {"reason": "   "}
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["reason"]


class TestIdempotentApproval:
    async def test_a_retried_approval_is_replayed_not_refused(self, desk):
        await desk.set_budget("2100.00")
        app_id = await desk.reviewed(items=[{"kind": "transport", "amount": "600.00"}])
        key = {"Idempotency-Key": f"approve-{app_id}"}
        first = await desk.post("iom.approver", f"/v1/applications/{app_id}/approve", {}, **key)
        retry = await desk.post("iom.approver", f"/v1/applications/{app_id}/approve", {}, **key)
        assert first.status_code == 200
        assert retry.status_code == 200  # the first answer again, not "same approver twice"
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.json() == first.json()
        assert len((await desk.read(app_id)).json()["approvals"]) == 1
        other_body = await desk.post(
            "iom.approver", f"/v1/applications/{app_id}/approve", {"note": "x"}, **key
        )
        assert other_body.status_code == 422
        assert other_body.json()["errors"][0]["rule"] == "reused_with_different_request"
