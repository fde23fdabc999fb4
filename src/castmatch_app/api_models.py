"""Pydantic models that document the API in OpenAPI (/api/v1/openapi.json).

Hot endpoints send pre-serialised bytes and reference these models only for the schema.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str
    message: str = Field(description="What went wrong and what to do about it.")
    fields: dict[str, str] | None = None
    retry_after: int | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class TalentOut(BaseModel):
    id: int
    name: str
    name_hi: str = Field(description="Name in Devanagari.")
    gender: str
    age: int
    area: str
    languages: list[str]
    skills: list[str]
    experience: int = Field(description="Years of professional experience.")
    height_cm: int
    popularity: float
    bio: str
    headshot: str


class SearchOut(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    results: list[TalentOut]


class RecommendedTalent(BaseModel):
    id: int
    name: str
    score: float


class RecommendationsOut(BaseModel):
    query: dict[str, int]
    experiment: str
    variant: Literal["A", "B"]
    source: Literal["model", "fallback"] = Field(description="'fallback' = popularity, served while the "
                                                             "model is unavailable or its circuit is open.")
    results: list[RecommendedTalent]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str


class TokenErrorOut(BaseModel):
    error: Literal["invalid_request", "invalid_grant", "unsupported_grant_type", "invalid_client"]
    error_description: str


class AuditionIn(BaseModel):
    talent_id: int = Field(ge=1)
    role_id: int = Field(ge=1)
    date: str = Field(description="YYYY-MM-DD, today or later (IST).", examples=["2025-01-15"])
    time: str = Field(description="HH:MM between 09:00 and 20:00.", examples=["11:30"])
    notes: str = Field(default="", max_length=2000)


class HistoryEntry(BaseModel):
    event_id: str
    type: str
    sequence: int
    outcome: Literal["applied", "stale"]


class AuditionOut(BaseModel):
    id: int
    owner_id: int
    talent_id: int
    role_id: int | None
    starts_at: str
    notes: str
    status: Literal["booked", "confirmed", "rescheduled", "cancelled"]
    calendar_sequence: int
    history: list[HistoryEntry]


class ShortlistOut(BaseModel):
    id: int
    owner_id: int
    name: str
    talent_ids: list[int]


class CalendarEvent(BaseModel):
    id: str = Field(min_length=1, max_length=128, description="Unique per event; redeliveries reuse it.")
    type: Literal["audition.confirmed", "audition.rescheduled", "audition.cancelled"]
    sequence: int = Field(ge=1, description="Monotonic per audition; older sequences are ignored.")
    occurred_at: str | None = None
    audition_id: int = Field(ge=1)
    starts_at: str | None = Field(default=None, description="Required for audition.rescheduled.")


class WebhookOut(BaseModel):
    status: Literal["applied", "stale", "duplicate"]
    event_id: str


class DriftOut(BaseModel):
    metric: str
    threshold: float
    features: dict[str, float]
    max_psi: float
    drift_detected: bool
    distribution: dict[str, list[float]] = {}
