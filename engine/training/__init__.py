"""Training: activities, load and goal confidence (DESIGN.md §9); the part is `engine.training`."""
