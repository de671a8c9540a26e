"""Corral Python SDK (standard library only)."""

from corral.workflow import (DAG, Artifact, Backoff, ClusterWorkflowTemplate, Container,
                             Parameter, RetryStrategy, Script, Step, Steps, Suspend, Task,
                             Workflow, WorkflowError, WorkflowsClient, WorkflowTemplate, script)

__all__ = [
    "Artifact", "Backoff", "ClusterWorkflowTemplate", "Container", "DAG", "Parameter",
    "RetryStrategy", "Script", "Step", "Steps", "Suspend", "Task", "Workflow", "WorkflowError",
    "WorkflowTemplate", "WorkflowsClient", "script",
]
