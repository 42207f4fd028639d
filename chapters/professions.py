"""The professions that do well in leads groups: every install starts with these classifications."""

PROFESSIONS = [
    "Accountant", "Architect", "Attorney", "Banker", "Business coach", "Caterer", "Chiropractor",
    "Cleaning services", "Commercial real estate agent", "Computer consultant", "Copywriter", "Dentist",
    "Electrician", "Event planner", "Financial consultant", "Florist", "Graphic designer", "HR consultant",
    "Insurance agent", "Interior designer", "IT support", "Landscaper", "Marketing consultant",
    "Mortgage broker", "Mover", "Personal trainer", "Photographer", "Physiotherapist", "Plumber", "Printer",
    "Real estate agent", "Recruiter", "Roofer", "Signage maker", "Solicitor", "Travel agent",
    "Veterinarian", "Videographer", "Web developer", "Wealth manager",
]
