"""The feedback view for editors and managers: helpfulness per service, wrong-information
reports (the editors' queue), satisfaction with closed requests, and searches that found nothing."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.clock import utcnow
from bot.staff import audit
from bot.storage.models import ContentGap, Feedback


def routes(dashboard: Any) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        since = utcnow().date() - timedelta(days=90)
        async with dashboard.runtime.db.write() as session:
            found = await dashboard.require(request, session, "feedback")
            if isinstance(found, Response):
                return found
            tables = await _tables(session, dashboard, since)
            audit.record(session, found[0], "feedback.view")
        return dashboard.render(request, "table.html", dashboard.base(
            *found, heading="Feedback", intro="The last 90 days. Nothing here is linked to a person.", tables=tables,
            flash=request.query_params.get("done")))

    async def done(request: Request) -> Response:
        async with dashboard.runtime.db.write() as session:
            found = await dashboard.require(request, session, "feedback")
            if isinstance(found, Response):
                return found
            form = await dashboard.form(request, found[1])
            report = await session.get(Feedback, int(request.path_params["fid"]))
            if form is None or report is None:
                return Response("Not found or form expired", status_code=403)
            report.status = "done"
            audit.record(session, found[0], "feedback.done", "feedback", str(report.id))
        return RedirectResponse("/staff/feedback?done=Marked as checked.", status_code=303)

    return [Route("/staff/feedback", page, methods=["GET"]),
            Route("/staff/feedback/{fid:int}/done", done, methods=["POST"])]


async def _tables(session: Any, dashboard: Any, since: Any) -> list[dict[str, Any]]:
    content = dashboard.content
    helpful = (await session.execute(
        select(Feedback.service_id, func.sum(Feedback.value), func.count())
        .where(Feedback.kind == "helpful", Feedback.created_on >= since).group_by(Feedback.service_id))).all()
    wrong = (await session.scalars(select(Feedback).where(Feedback.kind == "wrong_info", Feedback.status == "open")
                                   .order_by(Feedback.created_on))).all()
    ratings = (await session.execute(
        select(Feedback.topic, func.avg(Feedback.value), func.count(Feedback.value))
        .where(Feedback.kind == "satisfaction", Feedback.value.is_not(None), Feedback.created_on >= since)
        .group_by(Feedback.topic))).all()
    comments = (await session.scalars(select(Feedback).where(Feedback.kind == "satisfaction", Feedback.comment.is_not(None),
                                                            Feedback.created_on >= since).order_by(Feedback.created_on.desc()).limit(50))).all()
    gaps = (await session.execute(
        select(ContentGap.query, ContentGap.lang, func.sum(ContentGap.count))
        .where(ContentGap.seen_on >= since).group_by(ContentGap.query, ContentGap.lang)
        .order_by(func.sum(ContentGap.count).desc()).limit(50))).all()

    def service_name(service_id: str | None) -> str:
        service = content.services.get(service_id or "")
        return service.name if service else (service_id or "—")

    return [
        {"title": "Wrong information reported (the editors' queue)", "head": ["Date", "Service", "What is wrong", ""],
         "rows": [(f.created_on, service_name(f.service_id), f.comment or "",
                   {"form": f"/staff/feedback/{f.id}/done", "label": "Checked"}) for f in wrong]},
        {"title": "Was this helpful?", "head": ["Service", "Helped", "Did not help"],
         "rows": [(service_name(sid), int(yes or 0), count - int(yes or 0)) for sid, yes, count in helpful]},
        {"title": "Satisfaction with closed requests", "head": ["Topic", "Average (1–5)", "Ratings"],
         "rows": [(topic or "—", f"{avg:.1f}", count) for topic, avg, count in ratings]},
        {"title": "Comments on requests", "head": ["Date", "Topic", "Comment"],
         "rows": [(f.created_on, f.topic or "—", f.comment) for f in comments]},
        {"title": "Searches that found nothing", "head": ["Words", "Language", "Times"],
         "rows": [(query, lang, total) for query, lang, total in gaps]},
    ]
