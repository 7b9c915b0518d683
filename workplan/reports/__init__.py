"""Reports for people: the agenda of coming deadlines, the monthly brief."""
