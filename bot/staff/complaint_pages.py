"""Dashboard pages for anonymous complaints (the `complaints` permission only)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.clock import utcnow
from bot.staff import audit, complaints
from bot.storage.models import Complaint, Staff


def routes(dashboard: Any) -> list[BaseRoute]:
    async def allowed(request: Request, session: Any) -> tuple[Staff, Any] | Response:
        return await dashboard.require(request, session, "complaints")

    async def names(session: Any) -> dict[int, str]:
        return {s.id: s.name for s in (await session.scalars(select(Staff))).all()}

    async def listing(request: Request) -> Response:
        status, category = request.query_params.get("status", "open"), request.query_params.get("category") or None
        async with dashboard.runtime.db.write() as session:
            found = await allowed(request, session)
            if isinstance(found, Response):
                return found
            items = await complaints.queue(session, status or None, category)
            audit.record(session, found[0], "complaints.view")
            people = await names(session)
        return dashboard.render(request, "complaints.html", dashboard.base(
            *found, items=items, status=status, category=category, categories=complaints.CATEGORIES, names=people))

    async def one(request: Request) -> Response:
        async with dashboard.runtime.db.write() as session:
            found = await allowed(request, session)
            if isinstance(found, Response):
                return found
            complaint = await session.get(Complaint, request.path_params["cid"])
            if complaint is None:
                return Response("Not found", status_code=404)
            audit.record(session, found[0], "complaint.view", "complaint", complaint.id)
            context = {"complaint": complaint, "messages": await complaints.messages(session, complaint.id),
                       "names": await names(session), "outcomes": complaints.OUTCOMES}
        return dashboard.render(request, "complaint.html", dashboard.base(*found, flash=request.query_params.get("done"),
                                                                           **context))

    async def action(request: Request) -> Response:
        today = utcnow().astimezone(dashboard.content.tz).date()
        async with dashboard.runtime.db.write() as session:
            found = await allowed(request, session)
            if isinstance(found, Response):
                return found
            staff, record = found
            complaint = await session.get(Complaint, request.path_params["cid"])
            form = await dashboard.form(request, record)
            if complaint is None or form is None:
                return Response("Not found or form expired", status_code=404 if complaint is None else 403)
            verb = request.path_params["action"]
            try:
                if verb == "respond":
                    await complaints.respond(session, complaint, staff, str(form.get("text", "")), today)
                elif verb == "claim":
                    complaint.assigned_to, complaint.status, complaint.updated_on = staff.id, "in_progress", today
                    audit.record(session, staff, "complaint.claim", "complaint", complaint.id)
                elif verb == "close":
                    await complaints.close(session, complaint, staff, str(form.get("outcome", "")), today)
                else:
                    return Response("Unknown action", status_code=404)
                done = "Saved."
            except ValueError as exc:
                done = f"Not done: {exc}"
        return RedirectResponse(f"/staff/complaints/{complaint.id}?done={done}", status_code=303)

    return [Route("/staff/complaints", listing, methods=["GET"]),
            Route("/staff/complaints/{cid}", one, methods=["GET"]),
            Route("/staff/complaints/{cid}/{action}", action, methods=["POST"])]
