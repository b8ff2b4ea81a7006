"""What a page shows: labels, factsheets and the texts of the site, from the page queries."""
